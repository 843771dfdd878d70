"""Writes other NER corpora in the Twitter-GMNER layout (`IMGID:` line, token<TAB>BIO tag, blank line), so
`groundstream eval --data DIR --split train --dump-candidates FILE` runs the service over them.

The link prior (gmner.link_prior) learns from them what a catalogue or GeoNames link says about a mention's type,
on text the shipped stage 2 never trained on. Type mapping (../shared/data/ext-ner/README.md):

- GermEval 2014 (cased German): PER, LOC, ORG, OTH -> OTHER; `*deriv` and `*part` are not entities (O).
- MultiCoNER v1 (lower-cased; de, en, es, nl, tr): PER, LOC; CORP and GRP -> ORG; PROD and CW -> OTHER.

    python -m gmner.ext_layout --ext-dir ../../shared/data/ext-ner --out /tmp/ext-layout --multiconer-per-language 2000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterator
from pathlib import Path

Sentence = tuple[list[str], list[str]]

GERMEVAL_TYPES = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "OTH": "OTHER"}
MULTICONER_TYPES = {"PER": "PER", "LOC": "LOC", "CORP": "ORG", "GRP": "ORG", "PROD": "OTHER", "CW": "OTHER"}
MULTICONER_LANGUAGES = ("de", "en", "es", "nl", "tr")


def _mapped(tag: str, types: dict[str, str], source: str) -> str:
    if tag == "O":
        return "O"
    bio, _, kind = tag.partition("-")
    if bio not in ("B", "I") or not kind:
        raise ValueError(f"{source}: malformed tag {tag!r}")
    return f"{bio}-{types[kind]}" if kind in types else "O"


def _sentences(lines: Iterator[str], parse: Callable[[str, str], tuple[str, str] | None], source: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        parsed = parse(line, f"{source}:{number}")
        if parsed is None:
            continue
        tokens.append(parsed[0])
        tags.append(parsed[1])
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def read_germeval(path: Path) -> list[Sentence]:
    """`#` comment lines, then `index<TAB>token<TAB>outer tag<TAB>inner tag`; the outer tag is used."""

    def parse(line: str, where: str) -> tuple[str, str] | None:
        if line.startswith("#"):
            return None
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{where}: expected index, token and tag")
        return parts[1], _mapped(parts[2], GERMEVAL_TYPES, where)

    with path.open(encoding="utf-8") as handle:
        return _sentences(handle, parse, str(path))


def read_multiconer(path: Path) -> list[Sentence]:
    """A `# id` line per sentence, then `token _ _ TAG`."""

    def parse(line: str, where: str) -> tuple[str, str] | None:
        if line.startswith("# id"):
            return None
        parts = line.split(" ")
        if len(parts) < 2:
            raise ValueError(f"{where}: expected a token and a tag")
        return parts[0], _mapped(parts[-1], MULTICONER_TYPES, where)

    with path.open(encoding="utf-8") as handle:
        return _sentences(handle, parse, str(path))


def write_layout(out: Path, name: str, sentences: list[Sentence]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.txt").open("w", encoding="utf-8") as handle:
        for index, (tokens, tags) in enumerate(sentences):
            handle.write(f"IMGID:{name}-{index}\n")
            handle.writelines(f"{token}\t{tag}\n" for token, tag in zip(tokens, tags, strict=True))
            handle.write("\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ext-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="one folder per corpus is written here (train.txt)")
    parser.add_argument("--multiconer-per-language", type=int, default=2000, help="sentences drawn (seeded) from each train file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    germeval = args.ext_dir / "germeval2014" / "NER-de-test.tsv"  # its train file is not available: test is training data
    write_layout(args.out / "germeval", "germeval", read_germeval(germeval))
    rng = random.Random(args.seed)
    for language in MULTICONER_LANGUAGES:
        sentences = read_multiconer(args.ext_dir / "multiconer" / f"{language}_train.conll")
        rng.shuffle(sentences)
        write_layout(args.out / f"mc-{language}", f"mc-{language}", sentences[: args.multiconer_per_language])
    print(f"ext_layout: germeval and mc-{{{','.join(MULTICONER_LANGUAGES)}}} written under {args.out}")


if __name__ == "__main__":
    main()
