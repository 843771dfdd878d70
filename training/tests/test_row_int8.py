"""Per-row dynamic int8 (gmner.row_int8) on tiny project-made graphs: integer kernels, a row's result independent of
its batch-mates (bitwise), close to the float model, and the int8 codes of an already-quantised file kept as they are."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from gmner.quantize import quantize_batch_invariant, quantize_weights_only
from gmner.row_int8 import ROW_INT8_INFO, quantize_file, quantize_model_dir


def tiny_model(path, seq=True):
    """x [batch, seq, 64] -> MatMul w1 + b -> Relu -> MatMul w2, and an attention-like x @ x^T left alone."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(64, 64)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.normal(size=64).astype(np.float32), "b1"),
             numpy_helper.from_array(rng.normal(size=(64, 8)).astype(np.float32), "w2")]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"], name="up"), helper.make_node("Add", ["h0", "b1"], ["h"]),
             helper.make_node("Relu", ["h"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"], name="down"),
             helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["x", "xt"], ["att"], name="attention")]
    dims = ["batch", "seq"]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [*dims, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [*dims, 8]),
                               helper.make_tensor_value_info("att", TensorProto.FLOAT, ["batch", "seq", "seq"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def run(path, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y", "att"], {"x": x})


def ops(path):
    return [n.op_type for n in onnx.load(str(path)).graph.node]


@pytest.mark.parametrize("source", ["float", "weight-only", "static-qdq"])
def test_row_int8_is_integer_batch_invariant_and_close(tmp_path, source):
    fp32, src, out = tmp_path / "fp32.onnx", tmp_path / "src.onnx", tmp_path / "row.onnx"
    tiny_model(fp32)
    rng = np.random.default_rng(1)
    if source == "float":
        src = fp32
    elif source == "weight-only":
        quantize_weights_only(fp32, src)
    else:
        calibration = [{"x": rng.normal(size=(4, 5, 64)).astype(np.float32)} for _ in range(4)]
        quantize_batch_invariant(fp32, src, calibration, exclude=["attention"])
    counts = quantize_file(src, out)
    assert counts["row_int8"] == 2
    kinds = ops(out)
    assert kinds.count("MatMulIntegerToFloat") == 2 and kinds.count("MatMul") == 1  # attention stays float
    assert "DequantizeLinear" not in kinds and "DynamicQuantizeLinear" not in kinds
    post = rng.normal(size=(1, 5, 64)).astype(np.float32)
    loud = (rng.normal(size=(3, 5, 64)) * 40).astype(np.float32)  # batch-mates with a much larger range
    alone, batched = run(out, post), run(out, np.concatenate([loud[:1], post, loud[1:]]))
    assert np.array_equal(alone[0][0], batched[0][1])
    ref = run(fp32, post)[0][0]
    assert np.abs(alone[0][0] - ref).max() < 0.05 * np.abs(ref).max()


def test_existing_int8_codes_are_kept_not_rounded_again(tmp_path):
    fp32, w8, out = tmp_path / "fp32.onnx", tmp_path / "w8.onnx", tmp_path / "row.onnx"
    tiny_model(fp32)
    quantize_weights_only(fp32, w8)
    before = {numpy_helper.to_array(i).tobytes() for i in onnx.load(str(w8)).graph.initializer if i.data_type == TensorProto.INT8}
    quantize_file(w8, out)
    after = {numpy_helper.to_array(i).tobytes() for i in onnx.load(str(out)).graph.initializer if i.data_type == TensorProto.INT8 and i.dims}
    assert before and before == after


def test_model_dir_is_converted_in_place_once(tmp_path):
    import json

    tiny_model(tmp_path / "model.int8.onnx")
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "v1", "files": {"int8": "model.int8.onnx"}, "quantization": {"method": "x"}}))
    assert quantize_model_dir(tmp_path)["row_int8"] == 2
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["quantization"]["method"] == ROW_INT8_INFO["method"] and manifest["quantization"]["batch_invariant"]
    assert manifest["version"] == "v1-row8" and manifest["quantization"]["previous_version"] == "v1"
    assert "MatMulIntegerToFloat" in ops(tmp_path / "model.int8.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "model.int8.onnx"]  # no temp file left
    with pytest.raises(SystemExit):
        quantize_model_dir(tmp_path)
