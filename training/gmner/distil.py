"""Trust-Your-Teacher students of both stages from another model's soft labels (gmner.teacher's MPNet teachers).

    python -m gmner.distil --labels teacher/mpnet-oof.npz --work runs/distil --knowledge-jsonl F --out DIR
        [--only s1|s2] [--train-seed N] [any gmner.train_all option: --epochs1, --epochs2, --seed, --threads, ...]

The students are the served MiniLM models, trained exactly as gmner.train_all trains its TYT students
(alpha * CE(gold) + (1 - alpha) * KL(teacher || student), alpha = the teacher's p(gold)), except that the teacher's
probabilities come from the labels file: per word for stage 1 (placed on each word's first sub-token, so a teacher
with another tokenizer can teach), per (tweet, span) for stage 2. A tweet or span the file has no label for is
learnt from gold alone (alpha = 1). `--work` must hold the kfold.json whose NONE examples the teacher was trained
and labelled on. `--only s1` / `--only s2` trains one student (two processes, each in its own --work, can share the
cores); a later run without it finds both checkpoints in --work (copy the other's `.pt` and `.json` there), scores
them on dev and exports them to --out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from .export import export_models, training_facts
from .models import Stage1Model, Stage2Model
from .scoring import brief, eval_end_to_end, eval_gold_typing, s1_dev_scores
from .train_all import Run, forwarded_help, kfold_step, load_corpus
from .train_all import parse_args as train_args
from .training import log, s1_features, s2_gold_features, s2_training_examples, train_stage1, train_stage2


def load_labels(path: Path, train) -> tuple[list[np.ndarray | None], dict[tuple[str, int, int], np.ndarray]]:
    """Per train tweet its [n_words, 3] stage-1 probabilities (None when absent); stage-2 probabilities by (id, s, e)."""
    z = np.load(path)
    probs = z["s1_probs"]  # an NpzFile decompresses the array again on every z[...]: read it once
    by_id: dict[str, np.ndarray] = {}
    offset = 0
    for imgid, n in zip(z["s1_ids"].tolist(), z["s1_words"].tolist(), strict=True):
        by_id[imgid] = probs[offset : offset + n]
        offset += n
    s1 = []
    for t in train:
        p = by_id.get(t.imgid)
        if p is not None and len(p) != len(t.words):
            raise ValueError(f"{path}: tweet {t.imgid} has {len(p)} labelled words, this run splits it into {len(t.words)} "
                             "(train with the teacher's --seed and --sigil-merge)")
        s1.append(p)
    s2 = {(i, int(s), int(e)): p for i, (s, e), p in zip(z["s2_ids"].tolist(), z["s2_spans"], z["s2_probs"], strict=True)}
    return s1, s2


def stage1_targets(feats, word_labels) -> list[np.ndarray]:
    """[T, 3] per sub-token position: the teacher's word probabilities on first sub-tokens, gold one-hot without them."""
    out = []
    for f, words in zip(feats, word_labels, strict=True):
        arr = np.zeros((len(f["ids"]), 3), dtype=np.float32)
        for w, fi in enumerate(f["first"]):
            if fi < 0:
                continue
            if words is not None:
                arr[fi] = words[w]
            else:
                arr[fi, f["labels"][fi]] = 1.0
        out.append(arr)
    return out


def stage2_targets(tr2, keys, labels) -> tuple[np.ndarray, int]:
    """[N, 5] aligned with tr2: the teacher's probabilities for the (tweet id, s, e) in `keys`, gold one-hot where the
    file has no label or the key is None (an extra corpus's span), and how many came from the file."""
    out = np.zeros((len(tr2), 5), dtype=np.float32)
    found = 0
    for j, (f, key) in enumerate(zip(tr2, keys, strict=True)):
        p = None if key is None else labels.get((key, *f["span"]))
        if p is None:
            out[j, f["label"]] = 1.0
        else:
            out[j] = p
            found += 1
    return out, found


def stage2_distil_examples(run, c, wt, labels, extra) -> tuple[list, np.ndarray, int]:
    """Stage 2's training examples (gold spans, the kfold.json NONE spans the teacher labelled and, with
    --extra-for s2|both, the extra corpora's gold spans; prompts built with `wt`), their teacher targets, and how many
    targets came from `labels`. `extra`: the extra corpora's tweets to mix in (`c.extra`, or none)."""
    none_examples = [x for x in kfold_step(run, c) if x[0] < len(c.train)]  # --max-train runs use a prefix
    tr2 = s2_training_examples(wt, c.train, none_examples, extra, run.args, c.kn)
    keys = [tw.imgid for tw in c.train for _ in tw.spans()] + [c.train[i].imgid for i, _, _ in none_examples]
    keys += [None] * (len(tr2) - len(keys))  # the extra corpora's spans: the teacher never saw those tweets
    targets, found = stage2_targets(tr2, keys, labels)
    return tr2, targets, found


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--only", choices=("s1", "s2"), default=None)
    ap.add_argument("--pretrain-extra", type=int, default=0, metavar="N",
                    help="stage 2 learns the --extra-data corpora's gold spans alone for N epochs first, then the "
                         "Twitter-GMNER examples (instead of mixing them in with --extra-for s2)")
    ap.add_argument("--train-seed", type=int, default=None,
                    help="seed of the students' initialisation and batch order (default --seed; --seed itself also "
                         "splits #/@ words and must stay the teacher's)")
    forwarded_help(ap, argv)
    own, rest = ap.parse_known_args(argv)
    args = train_args(rest)
    torch.set_num_threads(args.threads)
    if not args.work:
        raise SystemExit("--work is required: it must hold the kfold.json the teacher was labelled with")
    work, data_dir, out = Path(args.work), Path(args.data), Path(args.out)
    train_seed = args.seed if own.train_seed is None else own.train_seed
    if not (work / "kfold.json").exists():
        raise SystemExit(f"{work}/kfold.json not found: copy the kfold.json of the run whose NONE examples the teacher saw")
    log(f"distil from {own.labels}; train seed {train_seed}; args {vars(args)}")
    c = load_corpus(args, data_dir)
    run = Run(args, work)
    s1_words, s2_labels = load_labels(Path(own.labels), c.train)
    meta_path = Path(own.labels).with_suffix(".json")
    teacher = {"labels": own.labels, **({"about": json.loads(meta_path.read_text())} if meta_path.exists() else {})}
    run.results["teacher_labels"] = {"file": own.labels, "tweets_labelled": sum(p is not None for p in s1_words)}

    s1 = run.cached("s1_student.pt", Stage1Model)
    if s1 is None and own.only in (None, "s1"):
        t = time.time()
        c.tr1 = s1_features(c.wt, c.train)
        c.tr1_extra = s1_features(c.wt, c.extra) if args.extra_for in ("s1", "both") else []  # learnt from gold alone
        feats = c.tr1 + c.tr1_extra
        targets = stage1_targets(feats, s1_words + [None] * len(c.tr1_extra))
        s1 = train_stage1(feats, args, args.epochs1, train_seed, teacher=targets, tag="s1-distil")
        run.timings["s1_student_s"] = round(time.time() - t)
        torch.save(s1.state_dict(), work / "s1_student.pt")
        (work / "s1_student.json").write_text(json.dumps({"duration_s": run.timings["s1_student_s"]}))
    s2 = run.cached("s2_student.pt", Stage2Model)
    if s2 is None and own.only in (None, "s2"):
        t = time.time()
        make_s2, mixed = Stage2Model, c.extra
        if own.pretrain_extra:
            extra2 = s2_gold_features(c.wt, c.extra, c.kn)
            if not extra2:
                raise SystemExit("--pretrain-extra needs --extra-data")
            pre = train_stage2(extra2, args, own.pretrain_extra, train_seed, tag="s2-pretrain-extra")
            run.results["s2_pretrain_extra"] = {"epochs": own.pretrain_extra, "examples": len(extra2), "s": round(time.time() - t)}
            make_s2, mixed = (lambda: pre), []  # learnt already: not mixed in again
        tr2, tp2, found = stage2_distil_examples(run, c, c.wt, s2_labels, extra=mixed)
        log(f"stage-2 examples {len(tr2)}, teacher labels for {found}")
        run.results["teacher_labels"]["stage2_examples_labelled"] = f"{found}/{len(tr2)}"
        s2 = train_stage2(tr2, args, args.epochs2, train_seed, teacher=tp2, tag="s2-distil", make_model=make_s2)
        run.timings["s2_student_s"] = round(time.time() - t)
        torch.save(s2.state_dict(), work / "s2_student.pt")
        (work / "s2_student.json").write_text(json.dumps({"duration_s": run.timings["s2_student_s"]}))
    if own.only or s1 is None or s2 is None:
        return run.finish(f"trained {own.only or 'what was missing'}; run again without --only to score and export")

    c.dv1, c.dv1_server = s1_features(c.wt, c.dev), s1_features(c.wt, c.dev_server)
    dev_spans, m1 = s1_dev_scores(s1, c.dv1, c.dev, c.dv1_server, c.dev_server)
    mner = eval_end_to_end(c.wt, s2, c.dev, dev_spans, c.kn)
    typing = eval_gold_typing(c.wt, s2, c.dev, c.kn)
    run.results.update({"s1_student_dev_span": m1, "s2_student_on_s1_student": mner, "s2_student_gold_typing_acc": typing})
    log(f"distilled students, torch dev: span {brief(m1)}; MNER {brief(mner)}; gold typing acc {typing:.4f}")
    for k in ("s1", "s2"):  # trained by an earlier (--only) process: its duration is beside its checkpoint
        if f"{k}_student_s" not in run.timings and (work / f"{k}_student.json").exists():
            run.timings[f"{k}_student_s"] = json.loads((work / f"{k}_student.json").read_text())["duration_s"]
    durations = (run.timings.get("s1_student_s"), run.timings.get("s2_student_s"))
    facts = {"data_dir": data_dir, "train_tweets": len(c.train), "knowledge_entries": len(c.kn), "extra_tweets": len(c.extra),
             "timings": dict(run.timings), "teacher": teacher, "train_seed": train_seed}
    od = export_models(
        out=out, fp32_root=work / "export", data_dir=data_dir, wt=c.wt, dev=c.dev, kn=c.kn,
        version=args.version or time.strftime("%Y%m%d.%H%M") + "-distil",
        states=(s1.state_dict(), s2.state_dict()),
        trainings=(training_facts(args, "stage1", args.epochs1, True, durations[0], **facts),
                   training_facts(args, "stage2", args.epochs2, True, durations[1], **facts)),
        dev_scores=({**brief(m1)}, {"mner_end_to_end_torch": brief(mner), "gold_span_typing_acc_torch": typing}),
    )
    run.results["onnx_dev"] = od
    run.finish("complete")


if __name__ == "__main__":
    main()
