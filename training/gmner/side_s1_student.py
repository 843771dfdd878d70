"""Trains the stage-1 TYT student from a run's saved stage-1 teacher, as a separate process.

Used when CPU time is short: it can run while the main pipeline (gmner.train_all) trains k-fold and stage 2;
the main pipeline picks up `s1_student.pt` from the same --work folder when it gets to the student step.
    python -m gmner.side_s1_student --work runs/X [--data DIR] [--epochs1 2] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from . import data as D
from .encoding import WordTokenizer
from .metrics import span_prf
from .models import Stage1Model
from .training import log, s1_decode, s1_features, s1_probs, train_stage1


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs1", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr1", type=float, default=8e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--sigil-merge", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    work = Path(args.work)
    t0 = time.time()
    train = D.load_split(args.data, "train")
    dev = D.load_split(args.data, "dev")
    if args.sigil_merge > 0:  # identical to train_all
        mrng = np.random.default_rng(args.seed + 7)
        train = [D.merge_sigils(t, mrng, args.sigil_merge) for t in train]
    dev_server = [D.merge_sigils(t) for t in dev]
    wt = WordTokenizer()
    tr1 = s1_features(wt, train)
    dv1 = s1_features(wt, dev)
    dv1s = s1_features(wt, dev_server)
    teacher = Stage1Model()
    teacher.load_state_dict(torch.load(work / "s1_teacher.pt", weights_only=True))
    teacher.eval()
    tprobs = s1_probs(teacher, tr1)
    del teacher
    student = train_stage1(tr1, args, args.epochs1, args.seed, teacher=tprobs, tag="s1-student(side)")
    spans = s1_decode(dv1, s1_probs(student, dv1))
    m = span_prf([[(s, e) for s, e, _ in sp] for sp in spans], [[(s, e) for s, e, _ in t.spans()] for t in dev])
    sv = s1_decode(dv1s, s1_probs(student, dv1s))
    m["server_words_f1"] = span_prf([[(s, e) for s, e, _ in sp] for sp in sv],
                                    [[(s, e) for s, e, _ in t.spans()] for t in dev_server])["f1"]
    dur = round(time.time() - t0)
    tmp = work / "s1_student.pt.tmp"
    torch.save(student.state_dict(), tmp)
    os.replace(tmp, work / "s1_student.pt")
    (work / "side_s1_student.json").write_text(json.dumps({"dev_span": m, "duration_s": dur, "args": vars(args)},
                                                          indent=2))
    log(f"side s1 student: dev span {m} ({dur}s)")


if __name__ == "__main__":
    main()
