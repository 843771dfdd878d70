"""Exact-match span and MNER metrics."""
from __future__ import annotations

import math
from collections import Counter

from .data import TYPES


def prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f, "tp": tp, "pred": n_pred, "gold": n_gold}


def span_prf(pred: list[list[tuple[int, int]]], gold: list[list[tuple[int, int]]]) -> dict:
    """Type-agnostic span P/R/F1. pred/gold: per sentence, lists of (start, end)."""
    tp = n_p = n_g = 0
    for ps, gs in zip(pred, gold, strict=True):
        ps, gs = set(map(tuple, ps)), set(map(tuple, gs))
        tp += len(ps & gs)
        n_p += len(ps)
        n_g += len(gs)
    return prf(tp, n_p, n_g)


def mner_prf(pred: list[list[tuple[int, int, str]]], gold: list[list[tuple[int, int, str]]]) -> dict:
    """(span, type) P/R/F1 overall and per type. pred/gold: per sentence, lists of (start, end, type)."""
    tp = Counter()
    n_p = Counter()
    n_g = Counter()
    for ps, gs in zip(pred, gold, strict=True):
        ps, gs = set(map(tuple, ps)), set(map(tuple, gs))
        for s in ps:
            n_p[s[2]] += 1
            if s in gs:
                tp[s[2]] += 1
        for s in gs:
            n_g[s[2]] += 1
    out = prf(sum(tp.values()), sum(n_p.values()), sum(n_g.values()))
    out["per_type"] = {t: prf(tp[t], n_p[t], n_g[t]) for t in TYPES}
    return out


def bio_labels(probs: list[list[float]]) -> list[int]:
    """Contract label choice (0=O, 1=B, 2=I): the most probable sequence in which an I never follows O or starts
    the text, words scored independently (sum of log-probabilities, floored at 1e-12). Equals the per-word argmax
    wherever that has no orphan I. Ties go to the lower label id, as in src/stages/decoding.ts."""
    if not probs:
        return []

    def log(p: float) -> float:
        return math.log(max(p, 1e-12))

    score = [log(probs[0][0]), log(probs[0][1]), -math.inf]
    back: list[tuple[int, int, int]] = []
    for row in probs[1:]:
        best_any = 0 if score[0] >= max(score[1], score[2]) else (1 if score[1] >= score[2] else 2)
        best_in_span = 1 if score[1] >= score[2] else 2
        back.append((best_any, best_any, best_in_span))
        score = [score[best_any] + log(row[0]), score[best_any] + log(row[1]), score[best_in_span] + log(row[2])]
    label = 0 if score[0] >= max(score[1], score[2]) else (1 if score[1] >= score[2] else 2)
    labels = [label]
    for step in reversed(back):
        label = step[label]
        labels.append(label)
    return labels[::-1]


def decode_bio(labels: list[int], probs: list[list[float]] | None = None) -> list[tuple[int, int, float]]:
    """Contract decoding over per-word label ids (0=O, 1=B, 2=I): an I not after B/I starts a span.

    Returns (start, end exclusive, score) with score = mean chosen-label probability over the span's words.
    """
    spans = []
    start = None
    for i, lab in enumerate(list(labels) + [0]):
        if lab == 2 and start is not None:
            continue
        if start is not None:
            spans.append((start, i))
            start = None
        if lab in (1, 2):
            start = i
    out = []
    for s, e in spans:
        if probs is None:
            out.append((s, e, 1.0))
        else:
            out.append((s, e, sum(probs[i][labels[i]] for i in range(s, e)) / (e - s)))
    return out
