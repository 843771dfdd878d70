"""Checks that need the data set or the exported models; they skip with a reason when those are absent."""
import json
import os
from pathlib import Path

import pytest

from gmner.data import DEFAULT_DATA_DIR, load_split

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GS_DATA_DIR", DEFAULT_DATA_DIR))
MODELS = ROOT / "models"


@pytest.mark.skipif(not (DATA / "dev.txt").exists(), reason=f"Twitter-GMNER data not found at {DATA} (set GS_DATA_DIR)")
def test_real_dev_split_reads():
    dev = load_split(DATA, "dev")
    assert len(dev) == 1500
    assert sum(len(t.spans()) for t in dev) == 2450
    assert any(t.boxes for t in dev) and any(t.width for t in dev)
    for t in dev:
        assert all(not (tag.startswith("I-") and (i == 0 or t.tags[i - 1] == "O")) for i, tag in enumerate(t.tags))


def _manifest(stage):
    p = MODELS / stage / "manifest.json"
    if not p.exists():
        pytest.skip(f"no exported model at {p}: run scripts/train.sh")
    return json.loads(p.read_text())


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_manifest_fields(stage):
    m = _manifest(stage)
    for k in ("name", "stage", "version", "labels", "max_length", "files", "inputs", "outputs", "training", "dev_scores"):
        assert k in m
    assert m["stage"] == stage
    assert (MODELS / stage / m["files"]["int8"]).exists()
    assert (MODELS / stage / m["files"]["tokenizer"]).exists()
    if stage == "stage1":
        assert m["labels"] == ["O", "B", "I"] and m["max_length"] == 128
        assert m["inputs"] == ["input_ids", "attention_mask", "shape_ids"] and m["outputs"] == ["logits"]
    else:
        assert m["labels"] == ["PER", "LOC", "ORG", "OTHER", "NONE"] and m["max_length"] == 192
        assert m["inputs"] == ["input_ids", "attention_mask", "shape_ids", "mask_index", "obj_index"]
        assert m["outputs"] == ["type_logits", "obj_scores"]
    for k in ("seed", "epochs", "train_sha256", "dev_sha256", "duration_s", "tyt"):
        assert k in m["training"]


def test_int8_graphs_run_with_dynamic_axes():
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    _manifest("stage1")
    _manifest("stage2")
    s1 = ort.InferenceSession(str(MODELS / "stage1" / "model.int8.onnx"), providers=["CPUExecutionProvider"])
    for b, t in ((1, 5), (3, 17)):
        ids = np.full((b, t), 1000, dtype=np.int64)
        (logits,) = s1.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "shape_ids": np.zeros_like(ids)})
        assert logits.shape == (b, t, 3) and logits.dtype == np.float32
    s2 = ort.InferenceSession(str(MODELS / "stage2" / "model.int8.onnx"), providers=["CPUExecutionProvider"])
    for b, t in ((1, 9), (2, 30)):
        ids = np.full((b, t), 1000, dtype=np.int64)
        oi = np.zeros((b, 18), dtype=np.int64)
        oi[:, 0] = 7
        tl, os_ = s2.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "shape_ids": np.zeros_like(ids),
                                "mask_index": np.full((b,), 4, dtype=np.int64), "obj_index": oi})
        assert tl.shape == (b, 5) and os_.shape == (b, 18)
        assert ((os_ >= 0) & (os_ <= 1)).all()


def test_contract_vectors_match_python_encoding():
    p = ROOT / "test" / "fixtures" / "model-contract-vectors.json"
    if not p.exists():
        pytest.skip("no contract vectors yet: run training/make_contract_vectors.py")
    from gmner.encoding import encode_stage1, encode_stage2, stage_tokenizer
    from gmner.shapes import word_shape

    v = json.loads(p.read_text())
    wt, wt2 = stage_tokenizer(MODELS / "stage1"), stage_tokenizer(MODELS / "stage2")
    for s in v["sentences"]:
        words = [w["text"] for w in s["words"]]
        assert [word_shape(w) for w in words] == s["word_shapes"]
        enc = encode_stage1(wt, words)
        assert enc.input_ids == s["stage1"]["input_ids"] and enc.shape_ids == s["stage1"]["shape_ids"]
    sents = {i: [w["text"] for w in s["words"]] for i, s in enumerate(v["sentences"])}
    for c in v["stage2_prompts"]:
        e = encode_stage2(wt2, c["entity_words"], sents[c["sentence"]], c.get("knowledge"), c.get("image_text"),
                          c.get("objects"))
        assert (e.input_ids, e.shape_ids, e.mask_index, e.obj_index) == (c["input_ids"], c["shape_ids"],
                                                                         c["mask_index"], c["obj_index"])
