"""Seven-bit activations (gmner.narrow): the integer products the int8 models ask for are the same on a CPU whose
u8 x s8 kernel saturates pairs into int16 (VPMADDUBSW, AVX2 without VNNI) as on one that sums exactly (VNNI).

The saturating kernel is emulated in numpy (`vpmaddubsw_matmul`), so this runs on any machine: the codes are taken
from the real onnxruntime graph and multiplied both ways."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_row_int8 import run, tiny_model

from gmner.narrow import MAX_CODE, narrow_file, narrow_model_dir
from gmner.quantize import quantize_batch_invariant
from gmner.row_int8 import quantize_file

INT16_MAX, INT16_MIN = 32767, -32768


def vpmaddubsw_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a [N, K] uint8 times w [K, M] int8 as AVX2's VPMADDUBSW + VPMADDWD compute it: each pair of adjacent
    products summed into an int16 with saturation, then the pairs summed in int32."""
    k = a.shape[1] + a.shape[1] % 2
    a2 = np.zeros((a.shape[0], k), np.int64)
    w2 = np.zeros((k, w.shape[1]), np.int64)
    a2[:, :a.shape[1]], w2[:w.shape[0]] = a, w
    products = a2[:, :, None] * w2[None, :, :]  # [N, K, M]
    pairs = np.clip(products[:, 0::2] + products[:, 1::2], INT16_MIN, INT16_MAX)
    return pairs.sum(axis=1)


def exact_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    return a.astype(np.int64) @ w.astype(np.int64)


def integer_operands(path, feeds: dict):
    """(activation codes, weight codes) of each integer MatMul in the file at `path`, run on `feeds` by onnxruntime."""
    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    pairs = [(n.input[0], n.input[1]) for n in model.graph.node if n.op_type == "MatMulIntegerToFloat"]
    producers = {o: n for n in model.graph.node for o in n.output}
    for n in model.graph.node:  # QLinearMatMul from static QDQ: the activation's QuantizeLinear and the weight's codes
        if n.op_type == "MatMul":
            a, b = (producers.get(i) for i in n.input)
            if a is not None and b is not None and a.op_type == b.op_type == "DequantizeLinear" and b.input[0] in inits:
                pairs.append((a.input[0], b.input[0]))
    wanted = sorted({a for a, _ in pairs})
    model.graph.output.extend(helper.make_tensor_value_info(name, TensorProto.UINT8, None) for name in wanted)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    values = dict(zip(wanted, session.run(wanted, feeds), strict=True))
    return [(values[a].reshape(-1, inits[b].shape[0]), inits[b]) for a, b in pairs]


def loud_post(rng):
    """Activations whose large entries share signs with large weights: where 8-bit codes saturate."""
    return (rng.normal(size=(2, 5, 64)) * np.where(rng.random((2, 5, 64)) < 0.2, 8.0, 1.0)).astype(np.float32)


def assert_no_saturation(path, x):
    operands = integer_operands(path, {"x": x})
    assert operands
    for a, w in operands:
        assert a.max() <= MAX_CODE
        assert np.array_equal(vpmaddubsw_matmul(a, w), exact_matmul(a, w))


def old_eight_bit(path):
    """The file at `path` with the row quantisers as gmner.row_int8 wrote them before: 8-bit codes, zero point 128."""
    model = onnx.load(str(path))
    for init in model.graph.initializer:
        if init.name == "rq_inv_levels":
            init.CopyFrom(numpy_helper.from_array(np.array(1 / 127, np.float32), "rq_inv_levels"))
        elif init.name in ("rq_zero_u8_1d", "rq_zero_u8"):
            value = numpy_helper.to_array(init)
            init.CopyFrom(numpy_helper.from_array(np.full(value.shape, 128, np.uint8), init.name))
    onnx.save(model, str(path))


def test_row_int8_codes_never_saturate_a_vpmaddubsw_kernel(tmp_path):
    fp32, row = tmp_path / "fp32.onnx", tmp_path / "row.onnx"
    tiny_model(fp32)
    quantize_file(fp32, row)
    x = loud_post(np.random.default_rng(2))
    assert_no_saturation(row, x)
    # The emulation can tell: the 8-bit codes of before do saturate on the same input.
    old_eight_bit(row)
    a, w = integer_operands(row, {"x": x})[0]
    assert a.max() > MAX_CODE and not np.array_equal(vpmaddubsw_matmul(a, w), exact_matmul(a, w))


def test_an_old_eight_bit_file_narrowed_equals_a_new_one(tmp_path):
    fp32, new, old = tmp_path / "fp32.onnx", tmp_path / "new.onnx", tmp_path / "old.onnx"
    tiny_model(fp32)
    quantize_file(fp32, new)
    quantize_file(fp32, old)
    old_eight_bit(old)
    assert narrow_file(old, old)["row_constants"] == 3
    x = loud_post(np.random.default_rng(3))
    for got, want in zip(run(old, x), run(new, x), strict=True):
        assert np.array_equal(got, want)
    assert narrow_file(old, old)["row_constants"] == 0  # already narrow: nothing to change


def test_static_qdq_activations_are_narrowed_and_stay_close(tmp_path):
    fp32, static = tmp_path / "fp32.onnx", tmp_path / "static.onnx"
    tiny_model(fp32)
    rng = np.random.default_rng(4)
    calibration = [{"x": rng.normal(size=(4, 5, 64)).astype(np.float32)} for _ in range(4)]
    quantize_batch_invariant(fp32, static, calibration, exclude=["attention"])
    zero_points = [numpy_helper.to_array(i) for i in onnx.load(str(static)).graph.initializer
                   if i.data_type == TensorProto.UINT8 and i.name.endswith("zero_point")]
    assert zero_points and all(z.max() <= MAX_CODE for z in zero_points)
    x = rng.normal(size=(1, 5, 64)).astype(np.float32)
    assert_no_saturation(static, x)
    got, ref = run(static, x)[0], run(fp32, x)[0]
    assert np.abs(got - ref).max() < 0.08 * np.abs(ref).max()


def test_model_dir_is_narrowed_in_place_once(tmp_path):
    fp32 = tmp_path / "fp32.onnx"
    tiny_model(fp32)
    quantize_file(fp32, tmp_path / "model.int8.onnx")
    fp32.unlink()
    old_eight_bit(tmp_path / "model.int8.onnx")
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "v1-row8", "files": {"int8": "model.int8.onnx"},
                                                        "quantization": {"method": "per-row"}}))
    assert narrow_model_dir(tmp_path)["row_constants"] == 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["version"] == "v1-row8-a7" and manifest["quantization"]["narrowed_from"] == "v1-row8"
    assert manifest["quantization"]["activation_bits"] == 7 and manifest["quantization"]["method"] == "per-row"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "model.int8.onnx"]  # no temp file left
    with pytest.raises(SystemExit):
        narrow_model_dir(tmp_path)
