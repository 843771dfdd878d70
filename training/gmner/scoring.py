"""Scoring on dev: stage-1 spans, stage-2 types end to end and on gold spans, with torch or with the exported ONNX.

Used by gmner.train_all and gmner.export_run; numbers go into results.json and the model manifests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .encoding import STAGE2_LABELS, normalise_key
from .metrics import mner_prf, span_prf
from .training import TYPE_IDX, s1_decode, s1_probs, s2_feature, s2_gold_features, s2_probs


def brief(m):
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items() if k != "per_type"} | (
        {"per_type": {t: round(x["f1"], 4) for t, x in m["per_type"].items()}} if "per_type" in m else {}
    )


def s1_dev_scores(model, dev_feats, dev, server_feats, dev_server):
    """Stage-1 spans on dev and their span P/R/F1; `server_words_f1` scores dev as the server splits its words."""
    spans = s1_decode(dev_feats, s1_probs(model, dev_feats))
    m = span_prf([[(s, e) for s, e, _ in sp] for sp in spans], [[(s, e) for s, e, _ in t.spans()] for t in dev])
    sv = s1_decode(server_feats, s1_probs(model, server_feats))
    m["server_words_f1"] = span_prf([[(s, e) for s, e, _ in sp] for sp in sv], [[(s, e) for s, e, _ in t.spans()] for t in dev_server])["f1"]
    return spans, m


def mner_from_probs(n_tweets, owners, spans, probs):
    pred = [[] for _ in range(n_tweets)]
    for o, (s, e), p in zip(owners, spans, probs, strict=True):
        k = int(np.argmax(p))
        if STAGE2_LABELS[k] != "NONE":
            pred[o].append((s, e, STAGE2_LABELS[k]))
    return pred


def eval_end_to_end(wt, model2, dev, dev_spans, kn):
    owners, spans, feats = [], [], []
    for ti, (t, sp) in enumerate(zip(dev, dev_spans, strict=True)):
        for s, e, _ in sp:
            owners.append(ti)
            spans.append((s, e))
            feats.append(s2_feature(wt, t, s, e, 0, kn))
    probs = s2_probs(model2, feats) if feats else np.zeros((0, 5))
    pred = mner_from_probs(len(dev), owners, spans, probs)
    return mner_prf(pred, [t.spans() for t in dev])


def eval_gold_typing(wt, model2, dev, kn):
    feats = s2_gold_features(wt, dev, kn)
    probs = s2_probs(model2, feats)
    gold = np.array([f["label"] for f in feats])
    return float((probs.argmax(1) == gold).mean())


def onnx_dev_scores(wt, models_dir: Path, dev, kn):
    from .onnx_infer import session, stage1_spans, stage2_run

    res = {}
    sentences = [t.words for t in dev]
    gold_spans = [[(s, e) for s, e, _ in t.spans()] for t in dev]
    for prec in ("fp32", "int8"):
        s1 = session(models_dir / "stage1" / f"model.{prec}.onnx")
        spans = stage1_spans(s1, wt, sentences)
        r = {"span": span_prf([[(s, e) for s, e, _ in sp] for sp in spans], gold_spans)}
        s2p = models_dir / "stage2" / f"model.{prec}.onnx"
        if s2p.exists():
            s2 = session(s2p)
            cands, owners, sp2 = [], [], []
            for ti, (t, sp) in enumerate(zip(dev, spans, strict=True)):
                for s, e, _ in sp:
                    owners.append(ti)
                    sp2.append((s, e))
                    cands.append({"entity_words": t.words[s:e], "sentence_words": t.words, "knowledge": kn.get(normalise_key(" ".join(t.words[s:e])))})
            tl, _ = stage2_run(s2, wt, cands)
            r["mner"] = mner_prf(mner_from_probs(len(dev), owners, sp2, tl), [t.spans() for t in dev])
            gc = [
                {"entity_words": t.words[s:e], "sentence_words": t.words, "knowledge": kn.get(normalise_key(" ".join(t.words[s:e])))}
                for t in dev
                for s, e, _ in t.spans()
            ]
            gl = np.array([TYPE_IDX[typ] for t in dev for _, _, typ in t.spans()])
            tl, _ = stage2_run(s2, wt, gc)
            r["gold_span_typing_acc"] = float((tl.argmax(1) == gl).mean())
        res[prec] = r
    return res
