"""Inference with the exported ONNX graphs (used for int8-vs-fp32 checks and the contract vectors)."""
from __future__ import annotations

import numpy as np

from .encoding import WordTokenizer, encode_stage1, encode_stage2
from .metrics import bio_labels, decode_bio


def _pad(rows: list[list[int]]) -> np.ndarray:
    n = max(len(r) for r in rows)
    out = np.zeros((len(rows), n), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def session(path: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def stage1_logits(sess, wt: WordTokenizer, sentences: list[list[str]], batch_size: int = 64):
    """Per sentence: (Stage1Input, logits [T,3]) in input order."""
    encs = [encode_stage1(wt, ws) for ws in sentences]
    out = [None] * len(encs)
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].input_ids))
    for b in range(0, len(order), batch_size):
        idx = order[b: b + batch_size]
        ids = _pad([encs[i].input_ids for i in idx])
        shp = _pad([encs[i].shape_ids for i in idx])
        mask = (ids != 0).astype(np.int64)
        for j, i in enumerate(idx):
            mask[j, : len(encs[i].input_ids)] = 1
        (logits,) = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask, "shape_ids": shp})
        for j, i in enumerate(idx):
            out[i] = (encs[i], logits[j, : len(encs[i].input_ids)])
    return out


def stage1_spans(sess, wt: WordTokenizer, sentences: list[list[str]]):
    """Per sentence: list of (start, end, score) decoded per the contract."""
    res = []
    for enc, logits in stage1_logits(sess, wt, sentences):
        probs = softmax(logits)
        wprobs = [[1.0, 0.0, 0.0] if fi < 0 else probs[fi].tolist() for fi in enc.first_index]
        res.append(decode_bio(bio_labels(wprobs), wprobs))
    return res


def stage2_run(sess, wt: WordTokenizer, cands: list[dict], batch_size: int = 64):
    """cands: dicts with entity_words, sentence_words, knowledge, image_text, objects.

    Returns (type_logits [N,5], obj_scores [N,K]).
    """
    encs = [encode_stage2(wt, c["entity_words"], c["sentence_words"], c.get("knowledge"), c.get("image_text"),
                          c.get("objects")) for c in cands]
    tl = np.zeros((len(encs), 5), dtype=np.float32)
    osc = np.zeros((len(encs), 18), dtype=np.float32)
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].input_ids))
    for b in range(0, len(order), batch_size):
        idx = order[b: b + batch_size]
        ids = _pad([encs[i].input_ids for i in idx])
        shp = _pad([encs[i].shape_ids for i in idx])
        mask = np.zeros_like(ids)
        for j, i in enumerate(idx):
            mask[j, : len(encs[i].input_ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "shape_ids": shp,
                 "mask_index": np.array([encs[i].mask_index for i in idx], dtype=np.int64),
                 "obj_index": np.array([encs[i].obj_index for i in idx], dtype=np.int64)}
        t, o = sess.run(["type_logits", "obj_scores"], feeds)
        tl[idx] = t
        osc[idx] = o
    return tl, osc
