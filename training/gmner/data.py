"""Reader for the Twitter-GMNER CoNLL files and their Pascal-VOC xml boxes."""
from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

TYPES = ("PER", "LOC", "ORG", "OTHER")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = (REPO_ROOT / ".." / "shared" / "data" / "twitter-gmner").resolve()


@dataclass
class Box:
    name: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float


@dataclass
class Tweet:
    imgid: str
    words: list[str]
    tags: list[str]  # BIO with types, orphan I- repaired to B-
    width: int | None = None
    height: int | None = None
    boxes: list[Box] = field(default_factory=list)

    def spans(self) -> list[tuple[int, int, str]]:
        """Gold entities as (start word, end word exclusive, type)."""
        return bio_to_spans(self.tags)


def repair_bio(tags: list[str]) -> list[str]:
    """An I-X that does not continue a span of type X starts a new span (B-X)."""
    out: list[str] = []
    prev = "O"
    for t in tags:
        if t.startswith("I-"):
            typ = t[2:]
            if prev == "O" or prev[2:] != typ:
                t = "B-" + typ
        out.append(t)
        prev = t
    return out


def bio_to_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    spans = []
    start = None
    typ = None
    for i, t in enumerate(list(tags) + ["O"]):
        if t.startswith("I-") and start is not None and t[2:] == typ:
            continue
        if start is not None:
            spans.append((start, i, typ))
            start = None
        if t.startswith(("B-", "I-")):
            start, typ = i, t[2:]
    return spans


def read_conll(path: str | os.PathLike) -> list[Tweet]:
    tweets: list[Tweet] = []
    imgid = None
    words: list[str] = []
    tags: list[str] = []

    def flush():
        nonlocal imgid, words, tags
        if imgid is not None and words:
            tweets.append(Tweet(imgid, words, repair_bio(tags)))
        imgid, words, tags = None, [], []

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if line.startswith("IMGID:"):
                flush()
                imgid = line[len("IMGID:"):].strip()
                continue
            if not line.strip():
                flush()
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                parts = line.rsplit(" ", 1)
            word, tag = parts[0], parts[-1].strip()
            if tag != "O" and not (tag[:2] in ("B-", "I-") and tag[2:] in TYPES):
                raise ValueError(f"{path}: bad tag {tag!r} in line {line!r}")
            if imgid is None:
                imgid = ""
            words.append(word)
            tags.append(tag)
    flush()
    return tweets


def read_xml(path: str | os.PathLike) -> tuple[int | None, int | None, list[Box]]:
    root = ET.parse(path).getroot()
    w = h = None
    size = root.find("size")
    if size is not None:
        try:
            w = int(float(size.findtext("width")))
            h = int(float(size.findtext("height")))
        except (TypeError, ValueError):
            w = h = None
    boxes = []
    for obj in root.findall("object"):
        bb = obj.find("bndbox")
        if bb is None:
            continue
        boxes.append(Box(
            name=(obj.findtext("name") or "").strip(),
            xmin=float(bb.findtext("xmin")), ymin=float(bb.findtext("ymin")),
            xmax=float(bb.findtext("xmax")), ymax=float(bb.findtext("ymax")),
        ))
    return w, h, boxes


def load_split(data_dir: str | os.PathLike, split: str) -> list[Tweet]:
    data_dir = Path(data_dir)
    tweets = read_conll(data_dir / f"{split}.txt")
    xml_dir = data_dir / "xml"
    for t in tweets:
        p = xml_dir / f"{t.imgid}.xml"
        if p.exists():
            t.width, t.height, t.boxes = read_xml(p)
    return tweets


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a.xmax, b.xmax) - max(a.xmin, b.xmin))
    iy = max(0.0, min(a.ymax, b.ymax) - max(a.ymin, b.ymin))
    inter = ix * iy
    ua = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter
    return inter / ua if ua > 0 else 0.0


def merge_sigils(tweet: Tweet, rng=None, p: float = 1.0) -> Tweet:
    """Joins a lone `#`/`@` word with the word after it (`#` `Paris` -> `#Paris`), as the server's word
    splitter does for raw posts. The joined word takes the tag of the `#`/`@` if that is inside an entity,
    else the tag of the following word. With rng, each occurrence is joined with probability p."""
    words, tags = [], []
    i = 0
    n = len(tweet.words)
    while i < n:
        w = tweet.words[i]
        if (w in ("#", "@") and i + 1 < n and (tweet.words[i + 1][:1].isalnum() or tweet.words[i + 1][:1] == "_")
                and (rng is None or rng.random() < p)):
            tag = tweet.tags[i] if tweet.tags[i] != "O" else tweet.tags[i + 1]
            words.append(w + tweet.words[i + 1])
            tags.append(tag)
            i += 2
            continue
        words.append(w)
        tags.append(tweet.tags[i])
        i += 1
    return Tweet(tweet.imgid, words, repair_bio(tags), tweet.width, tweet.height, tweet.boxes)


# ----------------------------------------------------------------------------- extra social-media NER corpora

DEFAULT_EXT_DIR = (REPO_ROOT / ".." / "shared" / "data" / "ext-ner").resolve()

# How each extra corpus's types map onto Twitter-GMNER's. WNUT-17 group/corporation are organisations;
# product and creative-work are what Twitter-GMNER calls OTHER. (See shared/data/ext-ner/README.md.)
EXT_TYPE_MAP = {
    "btc": {"PER": "PER", "LOC": "LOC", "ORG": "ORG"},
    "wnut17": {"person": "PER", "location": "LOC", "group": "ORG", "corporation": "ORG",
               "product": "OTHER", "creative-work": "OTHER"},
}
EXT_FILES = {"btc": "btc/btc.train", "wnut17": "wnut17/wnut17train.conll"}


def read_ext_conll(path: str | os.PathLike, corpus: str) -> list[Tweet]:
    """Reads an extra corpus (`token<TAB>tag`, blank line between documents; a line with no tag is O) and maps
    its types to Twitter-GMNER's. Twitter-GMNER never tags @handles, #hashtags or URLs, so words starting with
    `@`, `#` or `http` are set to O here too (the service finds handles and hashtags by rule, not by stage 1)."""
    mapping = EXT_TYPE_MAP[corpus]
    tweets: list[Tweet] = []
    words: list[str] = []
    tags: list[str] = []
    doc = 0

    def flush():
        nonlocal words, tags, doc
        if words:
            tweets.append(Tweet(f"{corpus}-{doc}", words, repair_bio(tags)))
            doc += 1
        words, tags = [], []

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                flush()
                continue
            parts = line.split("\t")
            word = parts[0]
            tag = parts[1].strip() if len(parts) > 1 and parts[1].strip() else "O"
            if tag != "O":
                prefix, typ = tag[:2], tag[2:]
                if prefix not in ("B-", "I-") or typ not in mapping:
                    raise ValueError(f"{path}: bad tag {tag!r} in line {line!r}")
                tag = prefix + mapping[typ]
            if word.startswith(("@", "#", "http")):
                tag = "O"
            words.append(word)
            tags.append(tag)
    flush()
    return tweets


def load_ext(names: list[str], ext_dir: str | os.PathLike = DEFAULT_EXT_DIR) -> list[Tweet]:
    out: list[Tweet] = []
    for name in names:
        if name not in EXT_FILES:
            raise ValueError(f"unknown extra corpus {name!r} (known: {', '.join(EXT_FILES)})")
        out += read_ext_conll(Path(ext_dir) / EXT_FILES[name], name)
    return out
