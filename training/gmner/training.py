"""Training: batching, the optimiser, the Trust-Your-Teacher loss, features and training loops of both stages.

Used by gmner.train_all (which orchestrates a run), gmner.side_s1_student and the other trainers. Stateless apart
from the run clock of `log`.
"""

from __future__ import annotations

import json
import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from .encoding import STAGE2_LABELS, encode_stage1, encode_stage2, normalise_key
from .metrics import bio_labels, decode_bio, span_prf
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
        return [idx[b : b + batch_size] for b in range(0, len(idx), batch_size)]
    idx = rng.permutation(idx)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c : c + chunk], key=lambda i: lengths[i])
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
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


def device_of(model) -> torch.device:
    return next(model.parameters()).device


def train_loop(model, feats, args, epochs, seed, lr_encoder, batch_loss, tag, on_epoch=None):
    """The shared training loop: length-bucketed batches, AdamW with warm-up/decay, clipping.
    batch_loss(model, batch_indices) -> scalar loss. On a CUDA model the forward passes run under bf16 autocast.
    on_epoch(model, epoch, mean_loss), when given, runs after each epoch (checkpoints, dev scores)."""
    cuda = device_of(model).type == "cuda"
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
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                loss = batch_loss(model, b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += loss.item()
            if bi == 19 and ep == 0:
                log(f"{tag}: 20 batches in {time.time() - t_ep:.1f}s -> epoch estimate {(time.time() - t_ep) / 20 * len(batches):.0f}s")
        log(f"{tag}: epoch {ep + 1}/{epochs} loss {tot / len(batches):.4f} ({time.time() - t_ep:.0f}s)")
        if on_epoch is not None:
            on_epoch(model, ep + 1, tot / len(batches))
    model.eval()
    return model


# ----------------------------------------------------------------------------- stage 1


def s1_features(wt, tweets):
    feats = []
    for t in tweets:
        enc = encode_stage1(wt, t.words)
        labels = [-100] * len(enc.input_ids)
        # one first-sub-token index per word (-1 when truncated), one tag per word
        for fi, tag in zip(enc.first_index, t.tags, strict=True):
            if fi >= 0:
                labels[fi] = 0 if tag == "O" else (1 if tag.startswith("B-") else 2)
        feats.append({"ids": enc.input_ids, "shapes": enc.shape_ids, "labels": labels, "first": enc.first_index})
    return feats


def train_stage1(feats, args, epochs, seed, teacher=None, tag="s1", make_model=Stage1Model, on_epoch=None):
    """teacher: optional list (aligned with feats) of [T,3] prob arrays over sequence positions.
    make_model: builds the untrained model (after the seed is set); gmner.teacher passes an MPNet one on its device.
    on_epoch: see train_loop."""
    set_seed(seed)
    model = make_model()
    dev = device_of(model)

    def batch_loss(model, b):
        ids = pad([feats[i]["ids"] for i in b]).to(dev)
        shp = pad([feats[i]["shapes"] for i in b]).to(dev)
        lab = pad([feats[i]["labels"] for i in b], -100).to(dev)
        mask = pad([[1] * len(feats[i]["ids"]) for i in b]).to(dev)
        logits = model(ids, mask, shp).float()
        sel = lab != -100
        if teacher is None:
            return F.cross_entropy(logits[sel], lab[sel])
        tp = torch.zeros(logits.shape, dtype=torch.float32)
        for j, i in enumerate(b):
            tp[j, : teacher[i].shape[0]] = torch.from_numpy(teacher[i])
        return tyt_loss(logits[sel], lab[sel], tp.to(dev)[sel])

    return train_loop(model, feats, args, epochs, seed, args.lr1, batch_loss, tag, on_epoch)


@torch.no_grad()
def s1_probs(model, feats, batch_size=64):
    """Per feature: softmax probs over all positions [T,3] (numpy)."""
    model.eval()
    dev = device_of(model)
    out = [None] * len(feats)
    for b in bucketed_batches([len(f["ids"]) for f in feats], batch_size, None):
        ids = pad([feats[i]["ids"] for i in b]).to(dev)
        shp = pad([feats[i]["shapes"] for i in b]).to(dev)
        mask = pad([[1] * len(feats[i]["ids"]) for i in b]).to(dev)
        probs = F.softmax(model(ids, mask, shp).float(), -1).cpu().numpy()
        for j, i in enumerate(b):
            out[i] = probs[j, : len(feats[i]["ids"])].astype(np.float32)
    return out


def s1_decode(feats, probs):
    res = []
    for f, p in zip(feats, probs, strict=True):
        wp = [[1.0, 0.0, 0.0] if fi < 0 else p[fi].tolist() for fi in f["first"]]
        res.append(decode_bio(bio_labels(wp), wp))
    return res


def kfold_none_examples(train, feats, args, *, make_model=Stage1Model, teacher=None, epochs=None, progress=None):
    """K stage-1 models, each trained on the other folds and run on its own: their predicted spans that are not
    gold become stage-2 NONE examples. Returns ([(tweet index, start, end)], per-tweet span scores).
    make_model / teacher (per-feature targets, as train_stage1 takes them) / epochs (default --fold-epochs) choose
    the fold models; progress (a JSON file) keeps each finished fold, so a cut run resumes at the next fold."""
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(train))
    folds = [perm[i :: args.folds] for i in range(args.folds)]
    done = json.loads(progress.read_text()) if progress is not None and progress.exists() else {}
    none_examples = []
    span_scores = []
    for k, held in enumerate(folds):
        if str(k) not in done:
            held_set = set(held.tolist())
            keep = [i for i in range(len(train)) if i not in held_set]
            mk = train_stage1([feats[i] for i in keep], args, epochs or args.fold_epochs, args.seed + 100 + k,
                              teacher=None if teacher is None else [teacher[i] for i in keep], tag=f"s1-fold{k}",
                              make_model=make_model)
            hf = [feats[i] for i in held]
            fold_none, fold_scores = [], []
            for i, sp in zip(held, s1_decode(hf, s1_probs(mk, hf)), strict=True):
                gold = {(s, e) for s, e, _ in train[i].spans()}
                fold_scores.append(span_prf([[(s, e) for s, e, _ in sp]], [sorted(gold)]))
                fold_none += [(int(i), s, e) for s, e, _ in sp if (s, e) not in gold]
            del mk
            done[str(k)] = {"none": fold_none, "spans": fold_scores}
            if progress is not None:
                progress.write_text(json.dumps(done))
        none_examples += [tuple(x) for x in done[str(k)]["none"]]
        span_scores += done[str(k)]["spans"]
    return none_examples, span_scores


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
    return {"ids": enc.input_ids, "shapes": enc.shape_ids, "mask_index": enc.mask_index, "obj_index": enc.obj_index, "label": label, "span": (s, e)}


def s2_gold_features(wt, tweets, kn):
    """Stage-2 features of every gold span of `tweets`, in order, labelled with its gold type."""
    return [s2_feature(wt, t, s, e, TYPE_IDX[typ], kn) for t in tweets for s, e, typ in t.spans()]


def s2_training_examples(wt, train, none_examples, extra, args, kn):
    """Stage-2 examples: every gold span, the k-fold NONE spans, the extra corpora's spans when --extra-for says
    so, then the --s2-frac random subset."""
    tr2 = s2_gold_features(wt, train, kn)
    tr2 += [s2_feature(wt, train[i], s, e, TYPE_IDX["NONE"], kn) for i, s, e in none_examples]
    if extra and args.extra_for in ("s2", "both"):
        tr2 += s2_gold_features(wt, extra, kn)
    if args.s2_frac < 1.0:
        keep = np.random.default_rng(args.seed + 11).permutation(len(tr2))[: round(len(tr2) * args.s2_frac)]
        tr2 = [tr2[i] for i in sorted(keep)]
    return tr2


def train_stage2(feats, args, epochs, seed, teacher=None, tag="s2", make_model=Stage2Model, on_epoch=None):
    set_seed(seed)
    model = make_model()
    dev = device_of(model)

    def batch_loss(model, b):
        ids = pad([feats[i]["ids"] for i in b]).to(dev)
        shp = pad([feats[i]["shapes"] for i in b]).to(dev)
        mask = pad([[1] * len(feats[i]["ids"]) for i in b]).to(dev)
        mi = torch.tensor([feats[i]["mask_index"] for i in b], device=dev)
        oi = torch.tensor([feats[i]["obj_index"] for i in b], device=dev)
        lab = torch.tensor([feats[i]["label"] for i in b], device=dev)
        logits, _ = model(ids, mask, shp, mi, oi)
        logits = logits.float()
        if teacher is None:
            return F.cross_entropy(logits, lab)
        return tyt_loss(logits, lab, torch.from_numpy(np.stack([teacher[i] for i in b])).to(dev))

    return train_loop(model, feats, args, epochs, seed, args.lr2, batch_loss, tag, on_epoch)


@torch.no_grad()
def s2_probs(model, feats, batch_size=64):
    model.eval()
    dev = device_of(model)
    out = np.zeros((len(feats), 5), dtype=np.float32)
    for b in bucketed_batches([len(f["ids"]) for f in feats], batch_size, None):
        ids = pad([feats[i]["ids"] for i in b]).to(dev)
        shp = pad([feats[i]["shapes"] for i in b]).to(dev)
        mask = pad([[1] * len(feats[i]["ids"]) for i in b]).to(dev)
        mi = torch.tensor([feats[i]["mask_index"] for i in b], device=dev)
        oi = torch.tensor([feats[i]["obj_index"] for i in b], device=dev)
        logits, _ = model(ids, mask, shp, mi, oi)
        out[b] = F.softmax(logits.float(), -1).cpu().numpy()
    return out
