"""The batch-invariant int8 export, on a tiny graph: fixed, calibrated activation scales (static QDQ) give a row the
same result whatever its batch-mates, while dynamic int8 (one activation scale per batch) does not."""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from gmner.quantize import dequantize_dynamic, quantize_batch_invariant


def tiny_model(path):
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(size=(64, 64)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(64, 8)).astype(np.float32), "w2")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])], [w1, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, str(path))


def run(path, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]


def test_static_quantisation_is_batch_invariant_and_dynamic_is_not(tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, static, dyn = tmp_path / "fp32.onnx", tmp_path / "static.onnx", tmp_path / "dyn.onnx"
    tiny_model(fp32)
    rng = np.random.default_rng(1)
    calibration = [{"x": rng.normal(size=(8, 64)).astype(np.float32)} for _ in range(4)]
    quantize_batch_invariant(fp32, static, calibration)
    quantize_dynamic(str(fp32), str(dyn), weight_type=QuantType.QInt8)
    post = rng.normal(size=(1, 64)).astype(np.float32)
    loud = (rng.normal(size=(2, 64)) * 40).astype(np.float32)  # batch-mates with a much larger range
    batch = np.concatenate([post, loud])
    assert np.array_equal(run(static, post)[0], run(static, batch)[0])
    assert not np.allclose(run(dyn, post)[0], run(dyn, batch)[0], atol=1e-3)
    # and it still computes the float model's function
    ref = run(fp32, post)[0]
    assert np.abs(run(static, post)[0] - ref).max() < 0.1 * np.abs(ref).max()


def test_dequantize_recovers_the_int8_weights_as_float(tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, dyn, back = tmp_path / "fp32.onnx", tmp_path / "dyn.onnx", tmp_path / "back.onnx"
    tiny_model(fp32)
    quantize_dynamic(str(fp32), str(dyn), weight_type=QuantType.QInt8)
    assert dequantize_dynamic(dyn, back) == 2
    ops = [n.op_type for n in onnx.load(str(back)).graph.node]
    assert ops.count("MatMul") == 2 and "MatMulInteger" not in ops and "DynamicQuantizeLinear" not in ops
    x = np.random.default_rng(2).normal(size=(4, 64)).astype(np.float32)
    ref = run(fp32, x)
    assert np.abs(run(back, x) - ref).max() < 0.02 * np.abs(ref).max()  # only weight rounding remains


def test_weights_only_stores_int8_and_computes_in_float(tmp_path):
    from gmner.quantize import quantize_weights_only

    rng = np.random.default_rng(3)
    emb = numpy_helper.from_array(rng.normal(size=(50, 64)).astype(np.float32), "emb")
    w = numpy_helper.from_array(rng.normal(size=(64, 8)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["emb", "ids"], ["e"]), helper.make_node("MatMul", ["e", "w"], ["y"])],
        "tiny", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 8])], [emb, w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    fp32, out = tmp_path / "fp32.onnx", tmp_path / "w8.onnx"
    onnx.save(model, str(fp32))
    assert quantize_weights_only(fp32, out) == 1
    q = onnx.load(str(out))
    assert {n.op_type for n in q.graph.node}.isdisjoint({"QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger"})
    stored = [numpy_helper.to_array(i) for i in q.graph.initializer]
    assert [(i.name, a.dtype, a.size) for i, a in zip(q.graph.initializer, stored, strict=True) if a.itemsize != 1 and a.size > 8] == []  # 1 byte a weight
    assert out.stat().st_size < fp32.stat().st_size / 2

    def run(p, ids):
        return ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(["y"], {"ids": ids})[0]

    ids = rng.integers(0, 50, size=(3, 5)).astype(np.int64)
    ref = run(fp32, ids)
    assert np.abs(run(out, ids) - ref).max() < 0.03 * np.abs(ref).max()
    assert np.array_equal(run(out, ids[:1])[0], run(out, ids)[0])
