"""Word shape ids (docs/model-contract.md, 'Word shape'); mirrors src/stages/words.ts."""
from __future__ import annotations

import unicodedata

SHAPE_PAD = 0
NUM_SHAPES = 10


def _cased(c: str) -> bool:
    return c.upper() != c.lower()


def _upper(c: str) -> bool:
    return c == c.upper()


def word_shape(word: str) -> int:
    if word.startswith("#"):
        return 1
    if word.startswith("@"):
        return 2
    low = word.lower()
    if low.startswith(("http://", "https://", "www.")):
        return 3
    cased = [c for c in word if _cased(c)]  # iterates code points, like Array.from
    if not cased:
        return 8 if any(unicodedata.category(c) == "Nd" for c in word) else 9
    upper = sum(1 for c in cased if _upper(c))
    if len(cased) >= 2 and upper == len(cased):
        return 4
    if _upper(cased[0]) and upper == 1:
        return 5
    if upper == 0:
        return 6
    return 7
