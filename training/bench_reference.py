"""PyTorch reference for bench/text-models.ts: throughput and outputs of the
trained checkpoints on exactly the inputs the TypeScript benchmark uses.

Reads a JSON request on stdin, writes a JSON answer on stdout:

request  {"checkpoints": {"stage1": PATH, "stage2": PATH}, "threads": 2,
          "batch_sizes": [1, 8, 32], "repeat_s": 2.0,
          "stage1": [[word, ...], ...],
          "stage2": [{"entity_words": [...], "sentence_words": [...],
                      "knowledge": "", "image_text": "", "objects": []}, ...]}
answer   {"stage1": {"<batch>": sequences_per_s}, "stage2": {...},
          "stage1_word_probs": [[[pO, pB, pI], ...], ...],
          "stage2_type_probs": [[pPER, pLOC, pORG, pOTHER, pNONE], ...]}

The inputs are built with the same contract encoders as training (gmner.encoding).
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from gmner.encoding import WordTokenizer, encode_stage1, encode_stage2
from gmner.models import Stage1Model, Stage2Model


def pad(rows: list[list[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def batches(encs, batch_size, with_indices):
    """Length-sorted batches of padded (ids, mask, shapes[, mask_index, obj_index]) tensors."""
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].input_ids))
    for b in range(0, len(order), batch_size):
        idx = order[b: b + batch_size]
        inputs = (pad([encs[i].input_ids for i in idx]),
                  pad([[1] * len(encs[i].input_ids) for i in idx]),
                  pad([encs[i].shape_ids for i in idx]))
        if with_indices:
            inputs += (torch.tensor([encs[i].mask_index for i in idx], dtype=torch.long),
                       torch.tensor([encs[i].obj_index for i in idx], dtype=torch.long))
        yield idx, inputs


def stage1_batches(encs, batch_size):
    return batches(encs, batch_size, with_indices=False)


def stage2_batches(encs, batch_size):
    return batches(encs, batch_size, with_indices=True)


@torch.inference_mode()
def throughput(model, encs, batches, batch_size, repeat_s):
    """Sequences per second over whole passes, repeated until repeat_s elapsed."""
    done = 0
    start = time.perf_counter()
    while True:
        for _, inputs in batches(encs, batch_size):
            model(*inputs)
        done += len(encs)
        elapsed = time.perf_counter() - start
        if elapsed >= repeat_s:
            return done / elapsed


def load(cls, path):
    model = cls()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


@torch.inference_mode()
def main() -> None:
    request = json.load(sys.stdin)
    torch.manual_seed(0)
    torch.set_num_threads(int(request.get("threads", 2)))
    wt = WordTokenizer()
    s1 = load(Stage1Model, request["checkpoints"]["stage1"])
    s2 = load(Stage2Model, request["checkpoints"]["stage2"])
    enc1 = [encode_stage1(wt, words) for words in request["stage1"]]
    enc2 = [encode_stage2(wt, r["entity_words"], r["sentence_words"], r.get("knowledge") or None,
                          r.get("image_text") or None, r.get("objects") or None) for r in request["stage2"]]

    answer = {"stage1": {}, "stage2": {}, "torch": torch.__version__, "threads": torch.get_num_threads()}
    for bs in request["batch_sizes"]:
        answer["stage1"][str(bs)] = throughput(s1, enc1, stage1_batches, bs, request.get("repeat_s", 2.0))
        if enc2:
            answer["stage2"][str(bs)] = throughput(s2, enc2, stage2_batches, bs, request.get("repeat_s", 2.0))

    word_probs = [None] * len(enc1)
    for idx, inputs in stage1_batches(enc1, 32):
        probs = F.softmax(s1(*inputs), -1).numpy()
        for j, i in enumerate(idx):
            word_probs[i] = [probs[j, p].tolist() if p >= 0 else [1.0, 0.0, 0.0] for p in enc1[i].first_index]
    type_probs = [None] * len(enc2)
    for idx, inputs in stage2_batches(enc2, 32):
        logits, _ = s2(*inputs)
        probs = F.softmax(logits, -1).numpy()
        for j, i in enumerate(idx):
            type_probs[i] = probs[j].astype(np.float64).tolist()
    answer["stage1_word_probs"] = word_probs
    answer["stage2_type_probs"] = type_probs
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
