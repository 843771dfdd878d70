"""Writes test/fixtures/model-contract-vectors.json: shared input/output vectors for the TypeScript side.

All sentences are invented for this project (no data-set tweets). Run after an export:
    cd training && ../.venv-training/bin/python make_contract_vectors.py [--models ../models] [--out ...]
Deterministic: same models + same tokenizer -> byte-identical file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import regex

from gmner.encoding import encode_stage1, encode_stage2, stage_tokenizer
from gmner.metrics import bio_labels, decode_bio
from gmner.onnx_infer import session, softmax, stage1_logits, stage2_run
from gmner.shapes import word_shape

ROOT = Path(__file__).resolve().parents[1]

# Python port of WORD_PATTERN in src/stages/words.ts (U+2019, the typographic apostrophe, is meant)
WORD_PATTERN = regex.compile(
    r"(?:https?://|www\.)[^\s]+|[#@][\p{L}\p{N}\p{M}_]+|[\p{L}\p{N}\p{M}_]+(?:['’][\p{L}\p{M}]+)*"  # noqa: RUF001
    r"|\p{Extended_Pictographic}(?:\u200d\p{Extended_Pictographic}|[\ufe0f\U0001f3fb-\U0001f3ff])*|[^\s]")

LONG = ("The Northern Valley Rowing Association held its spring regatta on the river near Kelmsford , and crews "
        "from Ashby College , the Brannock Sculling Club and the Lowmere Police Athletic League raced in eight "
        "heats while the mayor , Dorothea Finch , handed out medals ; afterwards everyone walked to the "
        "Old Mill Tavern on Harbour Street where the landlord , Piet van der Berg , served soup , bread and "
        "cider until midnight , and the local paper , the Kelmsford Echo , printed photos of the winning "
        "crew from Ashby the next morning with a headline about tides , oars , courage and cake , while the "
        "rival Greystone Gazette grumbled that Brannock had been robbed by a biased umpire from Lowmere")

SENTENCES = [
    "Just landed in São Paulo with @marta_reis for the #FutebolFest 🎉🎉",
    "NASA and SpaceX confirm the launch window https://example.com/launch?id=42&x=y",
    "Tried the new iPhone at McDonald's in Zürich today , not bad",
    "GO LAKERS !!! Beat Boston tonight 🏀",
    "Angela Merkel meets Emmanuel Macron in Berlin to talk about the EU budget",
    "Crème brûlée at Café de Flore , Paris ❤️ www.cafe-example.fr",
    "Pneumonoultramicroscopicsilicovolcanoconiosisfloccinaucinihilipilificationsupercalifragilisticexpialidociousness"
    "antidisestablishmentarianism is my favourite word , says Professor Oyelaran",
    "東京 fans cheer for Ōtani ⚾ at Dodger Stadium in 2024",
    "i'm watching @BBCNews about the Thames flooding near Oxford 👨‍👩‍👧",
    LONG,
]


def split_words(text: str):
    out = []
    for m in WORD_PATTERN.finditer(text):
        s, e = m.start(), m.end()
        out.append({"text": m.group(), "start": s, "end": e,
                    "start_utf16": len(text[:s].encode("utf-16-le")) // 2,
                    "end_utf16": len(text[:e].encode("utf-16-le")) // 2})
    return out


def stage1_windows(wt, words, max_length):
    """Port of stage1Windows in src/stages/encoding.ts: consecutive word windows that fit max_length."""
    room = max_length - 2
    windows, start, used = [], 0, 0
    for i, w in enumerate(words):
        size = min(len(wt.word_ids(w)), room)
        if used + size > room and i > start:
            windows.append((start, i))
            start, used = i, 0
        used += size
    if start < len(words):
        windows.append((start, len(words)))
    return windows


def windowed_spans(sess, wt, words, max_length):
    """Server-style stage-1 prediction of one post: every window run alone (batch of 1, no padding)."""
    probs = [[1.0, 0.0, 0.0] for _ in words]
    for a, b in stage1_windows(wt, words, max_length):
        (enc, logits), = stage1_logits(sess, wt, [words[a:b]], batch_size=1)
        p = softmax(logits)
        for k, fi in enumerate(enc.first_index):
            if fi >= 0:
                probs[a + k] = p[fi].tolist()
    return decode_bio(bio_labels(probs), probs)


def r6(x):
    return [round(float(v), 6) for v in np.asarray(x).ravel()]


def previous_fp32_raw(out: Path, m1: dict, m2: dict) -> dict:
    """Without the fp32 files (not committed), the fp32 vectors already in `out` are kept when they were written for
    the same float models: the same versions, or the versions a re-quantisation started from (gmner.row_int8 keeps
    the float model and records `quantization.previous_version`; gmner.narrow records `narrowed_from`). Otherwise there
    are none."""
    if not out.exists():
        return {}
    old = json.loads(out.read_text(encoding="utf-8"))
    for stage, manifest in (("stage1", m1), ("stage2", m2)):
        quantization = manifest.get("quantization", {})
        same = {manifest["version"], quantization.get("previous_version"), quantization.get("narrowed_from")}
        if old.get("models", {}).get(stage, {}).get("version") not in same:
            return {}
    print(f"fp32 files absent: keeping the fp32 vectors of {out.name} (same float models)")
    return old.get("fp32_raw", {})


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=str(ROOT / "models"))
    ap.add_argument("--out", default=str(ROOT / "test" / "fixtures" / "model-contract-vectors.json"))
    args = ap.parse_args(argv)
    models = Path(args.models)
    wt = stage_tokenizer(models / "stage1")  # stage 1 and stage 2 may use different encoders and vocabularies
    wt2 = stage_tokenizer(models / "stage2")
    m1 = json.loads((models / "stage1" / "manifest.json").read_text())
    m2 = json.loads((models / "stage2" / "manifest.json").read_text())
    s1_int8 = session(models / "stage1" / "model.int8.onnx")
    s2_int8 = session(models / "stage2" / "model.int8.onnx")
    fp32_1 = models / "stage1" / "model.fp32.onnx"
    fp32_2 = models / "stage2" / "model.fp32.onnx"

    word_lists = [[w["text"] for w in split_words(s)] for s in SENTENCES]
    spans_int8 = [windowed_spans(s1_int8, wt, ws, m1["max_length"]) for ws in word_lists]

    sentences = []
    for si, (text, words) in enumerate(zip(SENTENCES, word_lists, strict=True)):
        enc = encode_stage1(wt, words, m1["max_length"])
        sentences.append({
            "id": f"s{si}",
            "text": text,
            "words": split_words(text),
            "word_shapes": [word_shape(w) for w in words],
            "word_subtokens": [wt.word_ids(w) for w in words],
            "stage1": {"input_ids": enc.input_ids, "shape_ids": enc.shape_ids,
                       "attention_mask": [1] * len(enc.input_ids), "first_subtoken": enc.first_index},
        })

    # stage-2 prompt cases (inputs only): with/without knowledge, image text, objects, and an overflowing one
    many_objects = [f"object label number {i} with extra words" for i in range(25)]
    long_knowledge = " ".join(["Kelmsford is a market town on the river Lowe with a famous regatta ."] * 8)
    cases = [
        {"sentence": 0, "entity": [3, 5]},
        {"sentence": 4, "entity": [0, 2], "knowledge": "Angela Merkel is a German politician who was Chancellor of Germany."},
        {"sentence": 5, "entity": [4, 7], "image_text": "CAFÉ DE FLORE", "objects": ["person", "cup", "chair"]},
        {"sentence": 1, "entity": [0, 1], "knowledge": "NASA is the U.S. space agency.", "image_text": "LAUNCH 2024",
         "objects": ["rocket", "sky"]},
        {"sentence": 9, "entity": [1, 5], "knowledge": long_knowledge, "image_text": " ".join(["REGATTA"] * 30),
         "objects": many_objects, "note": "overflows: sentence cut to 64, knowledge to 48, image text to 16, "
                                         "object labels to 4, objects dropped from the end to fit 192"},
        {"sentence": 6, "entity": [0, 1], "note": "a word over 100 characters is a single [UNK]"},
    ]
    prompt_cases = []
    for c in cases:
        words = word_lists[c["sentence"]]
        ent = words[c["entity"][0]: c["entity"][1]]
        e = encode_stage2(wt2, ent, words, c.get("knowledge"), c.get("image_text"), c.get("objects"), m2["max_length"])
        prompt_cases.append({**c, "entity_words": ent, "input_ids": e.input_ids, "shape_ids": e.shape_ids,
                             "attention_mask": [1] * len(e.input_ids), "mask_index": e.mask_index,
                             "obj_index": e.obj_index, "length": len(e.input_ids)})
    tl, osc = stage2_run(s2_int8, wt2, [{"entity_words": p["entity_words"], "sentence_words": word_lists[p["sentence"]],
                                         "knowledge": p.get("knowledge"), "image_text": p.get("image_text"),
                                         "objects": p.get("objects")} for p in prompt_cases], batch_size=1)
    for p, t, o in zip(prompt_cases, tl, osc, strict=True):
        n = sum(1 for i in p["obj_index"] if i)
        p["int8"] = {"type_logits": r6(t), "type": m2["labels"][int(np.argmax(t))], "obj_scores": r6(o[:n])}

    # end-to-end predictions of the int8 exports (stage-2 on stage-1 spans, no knowledge / image)
    cands, owners = [], []
    for si, (words, sp) in enumerate(zip(word_lists, spans_int8, strict=True)):
        for s, e, _ in sp:
            cands.append({"entity_words": words[s:e], "sentence_words": words})
            owners.append((si, s, e))
    tl, _ = stage2_run(s2_int8, wt2, cands, batch_size=1) if cands else (np.zeros((0, 5)), None)
    by_sentence = {i: [] for i in range(len(SENTENCES))}
    for (si, s, e), t in zip(owners, tl, strict=True):
        p = softmax(t)
        by_sentence[si].append({"start": s, "end": e, "text": " ".join(word_lists[si][s:e]),
                                "type": m2["labels"][int(np.argmax(t))], "type_prob": round(float(p.max()), 6),
                                "type_logits": r6(t)})
    for si, (sp, sent) in enumerate(zip(spans_int8, sentences, strict=True)):
        sent["int8_prediction"] = {
            "spans": [{"start": s, "end": e, "score": round(float(sc), 6)} for s, e, sc in sp],
            "entities": by_sentence[si],
        }

    raw = {}
    if fp32_1.exists() and fp32_2.exists():
        s1_fp32 = session(fp32_1)
        s2_fp32 = session(fp32_2)
        for si in (0, 4):
            (enc, logits), = stage1_logits(s1_fp32, wt, [word_lists[si]], batch_size=1)
            raw[f"s{si}"] = {"stage1_logits": [r6(row) for row in logits]}
        t, o = stage2_run(s2_fp32, wt2, [{"entity_words": prompt_cases[2]["entity_words"],
                                         "sentence_words": word_lists[5], "image_text": "CAFÉ DE FLORE",
                                         "objects": ["person", "cup", "chair"]}], batch_size=1)
        raw["prompt_case_2"] = {"type_logits": r6(t[0]), "obj_scores": r6(o[0][:3])}
    else:
        raw = previous_fp32_raw(Path(args.out), m1, m2)

    out = {
        "about": "Shared model-contract vectors (docs/model-contract.md). Invented sentences. Written by "
                 "training/make_contract_vectors.py; do not edit by hand. Word offsets are given in code points "
                 "(start/end) and UTF-16 units (start_utf16/end_utf16). Float values are rounded to 6 decimals; "
                 "compare logits with a tolerance (int8 ~1e-3 across CPUs, fp32 ~1e-4). Model outputs were computed "
                 "one sequence per run (long posts: one run per stage-1 window, windows as in stage1Windows); the "
                 "int8 models are batch-invariant (one activation scale per row, gmner/row_int8.py), so any "
                 "batching gives the same outputs.",
        "tokenizers": {"stage1": "models/stage1/tokenizer.json", "stage2": "models/stage2/tokenizer.json"},
        "special_ids": {stage: {"cls": t.cls_id, "sep": t.sep_id, "pad": t.pad_id, "unk": t.unk_id, "mask": t.mask_id,
                                "obj": t.obj_id} for stage, t in (("stage1", wt), ("stage2", wt2))},
        "models": {"stage1": {"version": m1["version"], "labels": m1["labels"], "max_length": m1["max_length"]},
                   "stage2": {"version": m2["version"], "labels": m2["labels"], "max_length": m2["max_length"]}},
        "sentences": sentences,
        "stage2_prompts": prompt_cases,
        "fp32_raw": raw,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(sentences)} sentences, {len(prompt_cases)} prompt cases, "
          f"{sum(len(s['int8_prediction']['entities']) for s in sentences)} predicted entities")


if __name__ == "__main__":
    main()
