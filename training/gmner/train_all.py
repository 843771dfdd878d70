"""Retrain both stages (teacher, k-fold, Trust-Your-Teacher students) and export ONNX + manifests.

python -m gmner.train_all [--data DIR] [--no-tyt] [--quick] ...   (run from training/; see training/README.md)
"""

# This module is the orchestration only: the order of the steps, resuming from --work, the --deadline budget and
# results.json. The steps live in gmner.training, gmner.scoring and gmner.export; the names other modules imported
# from here before the split are re-exported (__all__).
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import data as D
from .encoding import WordTokenizer
from .export import export_models, export_stage, training_facts, write_manifest
from .models import Stage1Model, Stage2Model
from .scoring import brief, eval_end_to_end, eval_gold_typing, mner_from_probs, onnx_dev_scores, s1_dev_scores
from .training import (
    T0,
    TYPE_IDX,
    bucketed_batches,
    kfold_none_examples,
    load_knowledge,
    log,
    make_optimizer,
    pad,
    s1_decode,
    s1_features,
    s1_probs,
    s2_feature,
    s2_probs,
    s2_training_examples,
    set_seed,
    train_loop,
    train_stage1,
    train_stage2,
    tyt_loss,
)

__all__ = [
    "T0",
    "TYPE_IDX",
    "brief",
    "bucketed_batches",
    "eval_end_to_end",
    "eval_gold_typing",
    "export_stage",
    "load_knowledge",
    "log",
    "main",
    "make_optimizer",
    "mner_from_probs",
    "onnx_dev_scores",
    "pad",
    "s1_decode",
    "s1_features",
    "s1_probs",
    "s2_feature",
    "s2_probs",
    "set_seed",
    "train_loop",
    "train_stage1",
    "train_stage2",
    "tyt_loss",
    "write_manifest",
]


def forwarded_help(own: argparse.ArgumentParser, argv=None) -> None:
    """-h/--help of a command whose own parser (add_help=False) forwards the rest to parse_args: prints its own
    options, then train_all's, and exits 0. Without this its required options fail before --help is seen."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        own.print_help()
        print("\noptions forwarded to gmner.train_all:")
        parse_args(["--help"])


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    ap.add_argument("--no-tyt", action="store_true", help="skip the Trust-Your-Teacher students; export teachers")
    ap.add_argument("--quick", action="store_true", help="tiny smoke-test run (subsets, 1 epoch)")
    ap.add_argument("--out", default=str(D.REPO_ROOT / "models"))
    ap.add_argument("--work", default=None, help="checkpoints/logs dir (default training/runs/<time>)")
    ap.add_argument("--knowledge-jsonl", default=None)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs1", type=int, default=2)
    ap.add_argument("--epochs2", type=int, default=1)
    ap.add_argument("--fold-epochs", type=int, default=1)
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr1", type=float, default=8e-5)
    ap.add_argument("--lr2", type=float, default=8e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-train", type=int, default=0, help="use only the first N training tweets (0 = all)")
    ap.add_argument("--max-dev", type=int, default=0)
    ap.add_argument("--version", default=None)
    ap.add_argument("--s2-frac", type=float, default=1.0, help="train stage 2 on this random fraction of its examples")
    ap.add_argument("--skip-torch-s2-eval", action="store_true",
                    help="skip the torch dev eval of the stage-2 teacher (the onnx export scores it anyway)")
    ap.add_argument("--sigil-merge", type=float, default=0.5,
                    help="probability of joining a lone #/@ word with the next word in training (server-style words)")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: skip TYT students that would not finish by then")
    ap.add_argument("--extra-data", default="", help="comma-separated extra corpora from --ext-dir: btc,wnut17")
    ap.add_argument("--extra-for", choices=("s1", "s2", "both"), default="s1",
                    help="which stage trains on the extra corpora (the k-fold NONE examples never use them)")
    ap.add_argument("--ext-dir", default=str(D.DEFAULT_EXT_DIR))
    args = ap.parse_args(argv)
    if args.quick:
        args.max_train = args.max_train or 240
        args.max_dev = args.max_dev or 120
        args.epochs1, args.epochs2, args.fold_epochs, args.folds = 1, 1, 1, 2
    return args


@dataclass
class Corpus:
    """The run's data, read once: tweets, their stage-1 features, the word tokenizer and the knowledge."""

    train: list
    dev: list
    dev_server: list  # dev as the server's word splitter would see it
    extra: list
    wt: WordTokenizer
    kn: dict
    tr1: list = field(default_factory=list)
    tr1_extra: list = field(default_factory=list)
    dv1: list = field(default_factory=list)
    dv1_server: list = field(default_factory=list)


def load_corpus(args, data_dir: Path, wt: WordTokenizer | None = None) -> Corpus:
    """wt: the tokenizer the features will use (default: the served MiniLM's; gmner.teacher passes MPNet's)."""
    train = D.load_split(data_dir, "train")
    dev = D.load_split(data_dir, "dev")
    if args.max_train:
        train = train[: args.max_train]
    if args.max_dev:
        dev = dev[: args.max_dev]
    if args.sigil_merge > 0:
        mrng = np.random.default_rng(args.seed + 7)
        train = [D.merge_sigils(t, mrng, args.sigil_merge) for t in train]
    dev_server = [D.merge_sigils(t) for t in dev]
    extra = D.load_ext([n for n in args.extra_data.split(",") if n], args.ext_dir) if args.extra_data else []
    if args.max_train:  # --quick / --max-train runs cap the extra corpora as they cap train
        extra = extra[: args.max_train]
    if extra:
        log(f"extra corpora {args.extra_data} for {args.extra_for}: {len(extra)} tweets / {sum(len(t.spans()) for t in extra)} entities")
    log(f"train {len(train)} tweets / {sum(len(t.spans()) for t in train)} entities; dev {len(dev)} / {sum(len(t.spans()) for t in dev)}")
    wt = wt or WordTokenizer()
    kn = load_knowledge(args.knowledge_jsonl)
    log(f"knowledge entries: {len(kn)}")
    return Corpus(train, dev, dev_server, extra, wt, kn)


class Run:
    """One run's --work folder: checkpoints (picked up again on resume), results.json, timings, the --deadline."""

    def __init__(self, args, work: Path):
        self.args = args
        self.work = work
        self.prev = json.loads((work / "results.json").read_text()) if (work / "results.json").exists() else {}
        self.results = {"args": vars(args)}
        self.timings = {}

    def save_results(self):
        (self.work / "results.json").write_text(json.dumps(self.results, indent=2, default=str), encoding="utf-8")

    def cached(self, name, cls):
        """The model saved as `name` in --work by an earlier (cut-short) run, or None."""
        path = self.work / name
        if path.exists():
            m = cls()
            m.load_state_dict(torch.load(path, weights_only=True))
            m.eval()
            log(f"loaded {path.name} (resume)")
            return m
        return None

    def fits(self, seconds):
        """Whether `seconds` of work end before --deadline (HH:MM UTC); always true without one."""
        if not self.args.deadline:
            return True
        hh, mm = map(int, self.args.deadline.split(":"))
        now = time.gmtime()
        left = (hh * 60 + mm) * 60 - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)
        log(f"deadline check: need ~{seconds:.0f}s, {left}s left before {self.args.deadline} UTC")
        return seconds <= left

    def finish(self, status):
        self.results["status"] = status
        self.results["timings_s"] = self.timings
        self.results["total_s"] = round(time.time() - T0)
        self.save_results()
        log(
            f"{status}. done: total duration {time.time() - T0:.0f}s ({(time.time() - T0) / 60:.1f} min); "
            f"results {self.work / 'results.json'}"
        )


def kfold_step(run: Run, c: Corpus):
    """Stage-2 NONE examples from the k-fold stage-1 models, or from --work/kfold.json when a run resumes."""
    t = time.time()
    kcache = run.work / "kfold.json"
    if kcache.exists():
        kc = json.loads(kcache.read_text())
        none_examples = [tuple(x) for x in kc["none"]]
        kfold_spans = kc["spans"]
        log("k-fold NONE examples loaded from cache")
    else:
        none_examples, kfold_spans = kfold_none_examples(c.train, c.tr1, run.args)
    kcache.write_text(json.dumps({"none": none_examples, "spans": kfold_spans}))
    tp = sum(x["tp"] for x in kfold_spans)
    kf = {"tp": tp, "pred": sum(x["pred"] for x in kfold_spans), "gold": sum(x["gold"] for x in kfold_spans)}
    run.results["kfold"] = {"folds": run.args.folds, "none_examples": len(none_examples), **kf}
    run.timings["kfold_s"] = round(time.time() - t)
    log(f"k-fold: {len(none_examples)} NONE examples; fold span tp/pred/gold {kf}")
    run.save_results()
    return none_examples


def export_step(run: Run, c: Corpus, *, out: Path, data_dir: Path, version, states, students, durations, dev_scores):
    """Exports the chosen models (teachers or students) with their manifests, and records the ONNX dev scores."""
    args = run.args
    facts = {"data_dir": data_dir, "train_tweets": len(c.train), "knowledge_entries": len(c.kn), "extra_tweets": len(c.extra), "timings": run.timings}
    trainings = (
        training_facts(args, "stage1", args.epochs1, students[0], durations[0], **facts),
        training_facts(args, "stage2", args.epochs2, students[1], durations[1], **facts),
    )
    od = export_models(
        out=out, fp32_root=run.work / "export", data_dir=data_dir, wt=c.wt, dev=c.dev, kn=c.kn, version=version,
        states=states, trainings=trainings, dev_scores=dev_scores,
    )
    run.results["onnx_dev"] = od
    run.save_results()
    log(f"exported to {out}")


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    data_dir = Path(args.data)
    if not (data_dir / "train.txt").exists():
        sys.exit(f"data not found: {data_dir}/train.txt (pass --data DIR)")
    work = Path(args.work) if args.work else D.REPO_ROOT / "training" / "runs" / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    tyt = not args.no_tyt
    version = args.version or time.strftime("%Y%m%d.%H%M") + ("-quick" if args.quick else "")
    log(f"args {vars(args)}; work {work}")

    c = load_corpus(args, data_dir)
    run = Run(args, work)
    results, timings = run.results, run.timings
    c.tr1 = s1_features(c.wt, c.train)
    c.tr1_extra = s1_features(c.wt, c.extra) if c.extra and args.extra_for in ("s1", "both") else []
    c.dv1 = s1_features(c.wt, c.dev)
    c.dv1_server = s1_features(c.wt, c.dev_server)

    def s1_dev(model):
        return s1_dev_scores(model, c.dv1, c.dev, c.dv1_server, c.dev_server)

    def export(states, students, durations, dev_scores):
        export_step(run, c, out=out, data_dir=data_dir, version=version, states=states, students=students, durations=durations, dev_scores=dev_scores)

    # --- stage 1 teacher (or the only model with --no-tyt)
    t = time.time()
    s1_teacher = run.cached("s1_teacher.pt", Stage1Model) or train_stage1(c.tr1 + c.tr1_extra, args, args.epochs1, args.seed, tag="s1-teacher")
    timings["s1_teacher_s"] = round(time.time() - t)
    if timings["s1_teacher_s"] < 60 and (work / "s1_teacher.pt").exists():  # resumed: keep a realistic estimate
        timings["s1_teacher_s"] = int(run.prev.get("timings_s", {}).get("s1_teacher_s", 1200))
    torch.save(s1_teacher.state_dict(), work / "s1_teacher.pt")
    dev_spans_t, m = s1_dev(s1_teacher)
    results["s1_teacher_dev_span"] = m
    log(f"stage-1 teacher dev span {brief(m)}")
    run.save_results()

    # --- k-fold stage-1 predictions on train -> NONE examples for stage 2
    none_examples = kfold_step(run, c)
    tr2 = s2_training_examples(c.wt, c.train, none_examples, c.extra, args, c.kn)
    log(f"stage-2 training examples: {len(tr2)} (mean length {np.mean([len(f['ids']) for f in tr2]):.1f})")

    # --- stage 2 teacher
    t = time.time()
    s2_teacher = run.cached("s2_teacher.pt", Stage2Model) or train_stage2(tr2, args, args.epochs2, args.seed, tag="s2-teacher")
    timings["s2_teacher_s"] = round(time.time() - t)
    torch.save(s2_teacher.state_dict(), work / "s2_teacher.pt")
    if args.skip_torch_s2_eval:  # the onnx fp32 scores at export give the same figures
        results["s2_teacher_on_s1_teacher"] = {"f1": None, "note": "see onnx_dev fp32"}
        results["s2_teacher_gold_typing_acc"] = None
        run.save_results()
        log("stage-2 teacher trained; torch dev eval skipped (onnx fp32 eval at export)")
    else:
        results["s2_teacher_on_s1_teacher"] = eval_end_to_end(c.wt, s2_teacher, c.dev, dev_spans_t, c.kn)
        results["s2_teacher_gold_typing_acc"] = eval_gold_typing(c.wt, s2_teacher, c.dev, c.kn)
        log(
            f"stage-2 teacher: end-to-end MNER {brief(results['s2_teacher_on_s1_teacher'])}; "
            f"gold-span typing acc {results['s2_teacher_gold_typing_acc']:.4f}"
        )
    run.save_results()

    s1_scores_t = brief(results["s1_teacher_dev_span"])
    s2_scores_t = {
        "mner_end_to_end_torch": (brief(results["s2_teacher_on_s1_teacher"]) if results["s2_teacher_on_s1_teacher"].get("f1") is not None else None),
        "gold_span_typing_acc_torch": results["s2_teacher_gold_typing_acc"],
    }
    teachers = (s1_teacher.state_dict(), s2_teacher.state_dict())
    teacher_durations = (timings["s1_teacher_s"], timings["s2_teacher_s"])
    if not tyt:
        export(teachers, (False, False), teacher_durations, (s1_scores_t, s2_scores_t))
        return run.finish("complete (TYT off)")

    # --- Trust-Your-Teacher students (a student may already exist in --work, e.g. from gmner.side_s1_student)
    s1_student = run.cached("s1_student.pt", Stage1Model)
    s2_student = run.cached("s2_student.pt", Stage2Model)
    est_s1 = timings["s1_teacher_s"] * 1.2 + 120
    est_s2 = timings["s2_teacher_s"] * 1.35 + 300
    est_export = 600
    train_s1 = s1_student is None and run.fits(est_s1 + est_export)
    train_s2 = s2_student is None and run.fits((est_s1 if train_s1 else 0) + est_s2 + est_export)
    if train_s1 or train_s2:  # interim export of the teachers so a usable model exists while students train
        export(teachers, (False, False), teacher_durations, (s1_scores_t, s2_scores_t))
    if train_s1:
        t = time.time()
        tprobs = s1_probs(s1_teacher, c.tr1 + c.tr1_extra)
        s1_student = train_stage1(c.tr1 + c.tr1_extra, args, args.epochs1, args.seed, teacher=tprobs, tag="s1-student")
        timings["s1_student_s"] = round(time.time() - t)
        torch.save(s1_student.state_dict(), work / "s1_student.pt")
    elif s1_student is not None:
        side = work / "side_s1_student.json"
        if side.exists():
            timings["s1_student_s"] = json.loads(side.read_text()).get("duration_s")
    dev_spans_final = dev_spans_t
    if s1_student is not None:
        dev_spans_final, m = s1_dev(s1_student)
        results["s1_student_dev_span"] = m
        log(f"stage-1 student dev span {brief(m)} (teacher {results['s1_teacher_dev_span']['f1']:.4f})")
        run.save_results()
    else:
        log("stage-1 TYT student skipped (deadline)")
    if train_s2 and run.fits(est_s2 + est_export):
        t = time.time()
        tp2 = s2_probs(s2_teacher, tr2)
        s2_student = train_stage2(tr2, args, args.epochs2, args.seed, teacher=tp2, tag="s2-student")
        timings["s2_student_s"] = round(time.time() - t)
        torch.save(s2_student.state_dict(), work / "s2_student.pt")
    tyt_cmp = {"stage1_span_f1": {"teacher_no_tyt": results["s1_teacher_dev_span"]["f1"], "student_tyt": results.get("s1_student_dev_span", {}).get("f1")}}
    if s2_student is not None:
        results["s2_student_on_final_s1"] = eval_end_to_end(c.wt, s2_student, c.dev, dev_spans_final, c.kn)
        results["s2_teacher_on_final_s1"] = eval_end_to_end(c.wt, s2_teacher, c.dev, dev_spans_final, c.kn)
        results["s2_student_gold_typing_acc"] = eval_gold_typing(c.wt, s2_student, c.dev, c.kn)
        if results.get("s2_teacher_gold_typing_acc") is None:
            results["s2_teacher_gold_typing_acc"] = eval_gold_typing(c.wt, s2_teacher, c.dev, c.kn)
        log(
            f"stage-2 student: end-to-end MNER {brief(results['s2_student_on_final_s1'])}; "
            f"teacher on same spans {results['s2_teacher_on_final_s1']['f1']:.4f}; gold typing acc "
            f"{results['s2_student_gold_typing_acc']:.4f} (teacher {results['s2_teacher_gold_typing_acc']:.4f})"
        )
        tyt_cmp["stage2_mner_f1_on_same_stage1_spans"] = {
            "teacher_no_tyt": results["s2_teacher_on_final_s1"]["f1"],
            "student_tyt": results["s2_student_on_final_s1"]["f1"],
        }
        tyt_cmp["stage2_gold_typing_acc"] = {"teacher_no_tyt": results["s2_teacher_gold_typing_acc"], "student_tyt": results["s2_student_gold_typing_acc"]}
    else:
        log("stage-2 TYT student skipped (deadline)")
        tyt_cmp["stage2"] = "not trained: CPU time ran out before the deadline"
    results["tyt_comparison"] = tyt_cmp
    run.save_results()
    f1 = s1_student if s1_student is not None else s1_teacher
    f2 = s2_student if s2_student is not None else s2_teacher
    s1_sc = {**brief(results["s1_student_dev_span"] if s1_student is not None else results["s1_teacher_dev_span"]), "tyt_comparison": tyt_cmp}
    s2_sc = (
        {"mner_end_to_end_torch": brief(results["s2_student_on_final_s1"]), "gold_span_typing_acc_torch": results["s2_student_gold_typing_acc"]}
        if s2_student is not None
        else dict(s2_scores_t)
    )
    s2_sc["tyt_comparison"] = tyt_cmp
    export(
        (f1.state_dict(), f2.state_dict()),
        (s1_student is not None, s2_student is not None),
        (
            timings.get("s1_student_s") if s1_student is not None else timings["s1_teacher_s"],
            timings.get("s2_student_s") if s2_student is not None else timings["s2_teacher_s"],
        ),
        (s1_sc, s2_sc),
    )
    run.finish("complete" if s1_student is not None and s2_student is not None else "complete, some TYT students skipped")


if __name__ == "__main__":
    main()
