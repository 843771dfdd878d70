"""Re-exports chosen checkpoints of a finished (or cut-short) gmner.train_all run.

    python -m gmner.export_run --work runs/X --stage1 student --stage2 teacher [--out ../models]

Reads the run's results.json for the dev scores and training facts, exports ONNX fp32 + int8, re-scores both on
dev with onnxruntime and writes the manifests (same layout as train_all's own export).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from . import data as D
from .encoding import WordTokenizer
from .export import export_stage, write_manifest
from .models import Stage1Model, Stage2Model
from .scoring import brief, onnx_dev_scores
from .training import log


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--stage1", choices=["teacher", "student"], required=True)
    ap.add_argument("--stage2", choices=["teacher", "student"], required=True)
    ap.add_argument("--out", default=str(D.REPO_ROOT / "models"))
    ap.add_argument("--version", default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    work = Path(args.work)
    res = json.loads((work / "results.json").read_text())
    side = work / "side_s1_student.json"
    if "s1_student_dev_span" not in res and side.exists():
        res["s1_student_dev_span"] = json.loads(side.read_text())["dev_span"]
    a = res["args"]
    data_dir = Path(a["data"])
    dev = D.load_split(data_dir, "dev")
    wt = WordTokenizer()
    out = Path(args.out)
    s1 = torch.load(work / f"s1_{args.stage1}.pt", weights_only=True)
    s2 = torch.load(work / f"s2_{args.stage2}.pt", weights_only=True)
    ni1, no1 = export_stage(Stage1Model, s1, "stage1", out / "stage1", work / "export" / "stage1")
    ni2, no2 = export_stage(Stage2Model, s2, "stage2", out / "stage2", work / "export" / "stage2")
    od = onnx_dev_scores(wt, out, dev, {})
    log(f"onnx dev: fp32 span {od['fp32']['span']['f1']:.4f} mner {od['fp32']['mner']['f1']:.4f}; "
        f"int8 span {od['int8']['span']['f1']:.4f} mner {od['int8']['mner']['f1']:.4f}")
    version = args.version or time.strftime("%Y%m%d.%H%M") + f"-s1{args.stage1}-s2{args.stage2}"
    timings = res.get("timings_s", {})
    common = {"seed": a["seed"], "data_dir": str(data_dir), "train_sha256": D.sha256_file(data_dir / "train.txt"),
              "dev_sha256": D.sha256_file(data_dir / "dev.txt"), "batch_size": a["batch_size"],
              "lr_head": a["lr_head"], "word_embeddings_frozen": True, "sigil_merge": a.get("sigil_merge"),
              "knowledge_jsonl": a["knowledge_jsonl"], "torch": torch.__version__, "pipeline_timings_s": timings,
              "run": work.name}
    tyt_cmp = {"stage1_span_f1": {"teacher_no_tyt": res["s1_teacher_dev_span"]["f1"],
                                  "student_tyt": res.get("s1_student_dev_span", {}).get("f1")}}
    if "s2_student_gold_typing_acc" in res:
        tyt_cmp["stage2_gold_typing_acc"] = {"teacher_no_tyt": res["s2_teacher_gold_typing_acc"],
                                             "student_tyt": res["s2_student_gold_typing_acc"]}
    s1_scores = brief(res[f"s1_{args.stage1}_dev_span"])
    write_manifest(out / "stage1", "stage1", version, ni1, no1,
                   {**common, "epochs": a["epochs1"], "tyt": args.stage1 == "student", "lr_encoder": a["lr1"],
                    "duration_s": timings.get(f"s1_{args.stage1}_s")},
                   {"torch_fp32": s1_scores, "onnx_fp32_span": od["fp32"]["span"], "onnx_int8_span": od["int8"]["span"],
                    "tyt_comparison": tyt_cmp, "dev_tweets": len(dev)})
    write_manifest(out / "stage2", "stage2", version, ni2, no2,
                   {**common, "epochs": a["epochs2"], "tyt": args.stage2 == "student", "lr_encoder": a["lr2"],
                    "kfold": a["folds"], "fold_epochs": a["fold_epochs"], "duration_s": timings.get(f"s2_{args.stage2}_s")},
                   {"onnx_fp32": {"mner": brief(od["fp32"]["mner"]), "gold_span_typing_acc": od["fp32"]["gold_span_typing_acc"]},
                    "onnx_int8": {"mner": brief(od["int8"]["mner"]), "gold_span_typing_acc": od["int8"]["gold_span_typing_acc"]},
                    "note": "end-to-end MNER on stage-1 predicted spans of the exported stage-1 model",
                    "tyt_comparison": tyt_cmp, "dev_tweets": len(dev)})
    (work / f"export_{args.stage1}_{args.stage2}.json").write_text(json.dumps(od, indent=2, default=float))
    log(f"exported {version} to {out}")


if __name__ == "__main__":
    main()
