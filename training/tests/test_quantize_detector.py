"""quantize_detector's pieces that need no model: the numpy decoder (the reference detections and the agreement depend
on it matching src/images/centernet.ts), the reader of the bench's input dump, and which convolutions stay in fp32."""
import json

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from quantize_detector import decode, float_nodes, load_inputs


def test_decode_picks_3x3_peaks_per_class_like_the_typescript_decoder():
    # The hand-built heads of test/images/centernet.test.ts, with the same expected rows.
    grid, classes = 4, 2
    kp = np.zeros((grid, grid, classes), np.float32)
    wh = np.zeros((grid, grid, 4), np.float32)
    kp[1, 1, 0] = 0.9  # a peak
    kp[1, 2, 0] = 0.5  # its neighbour: not a peak
    kp[1, 2, 1] = 0.6  # same cell, other class: a peak of its own
    kp[3, 3, 0] = 0.2  # below the threshold
    wh[1, 1] = [2, 3, 4, 5]
    rows = decode(kp, wh, 0.3)
    assert [(int(r[5]), round(r[4], 2)) for r in rows] == [(0, 0.9), (1, 0.6)]
    assert rows[0][:4] == [4 - 2, 4 - 3, 4 + 4, 4 + 5]


def test_decode_keeps_equal_neighbours_as_peaks():
    # TS: a neighbour must be strictly larger to suppress; a plateau gives a peak in each of its cells.
    kp = np.zeros((3, 3, 1), np.float32)
    kp[1, 0, 0] = kp[1, 1, 0] = 0.5
    assert len(decode(kp, np.zeros((3, 3, 4), np.float32), 0.3)) == 2


def test_load_inputs_reads_the_dump_and_checks_its_size(tmp_path):
    x = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    x.tofile(tmp_path / "inputs.f32")
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": [2, 4, 4, 3], "names": ["a.jpg", "fixture:b.jpg"]}))
    got, names = load_inputs(tmp_path)
    assert np.array_equal(got, x) and names == ["a.jpg", "fixture:b.jpg"]
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": [3, 4, 4, 3], "names": []}))
    with pytest.raises(SystemExit):
        load_inputs(tmp_path)


def test_float_nodes_selects_each_group():
    w = numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w")
    dw = numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "dw")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"], name="first"),
        helper.make_node("Conv", ["a", "dw"], ["b"], name="MobilenetV3/depthwise", group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["b", "w"], ["c"], name="MobilenetV3/squeeze_excite/Conv"),
        helper.make_node("Conv", ["c", "w"], ["d"], name="CenternetHead/centernet_cls_output/BiasAdd"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("d", TensorProto.FLOAT, [1, 4, 8, 8])], [w, dw])
    model = helper.make_model(graph)
    assert float_nodes(model, []) == []
    assert float_nodes(model, ["first"]) == ["first"]
    assert float_nodes(model, ["depthwise"]) == ["MobilenetV3/depthwise"]
    assert float_nodes(model, ["se"]) == ["MobilenetV3/squeeze_excite/Conv"]
    assert float_nodes(model, ["heads"]) == ["CenternetHead/centernet_cls_output/BiasAdd"]
    assert float_nodes(model, ["neck"]) == ["CenternetHead/centernet_cls_output/BiasAdd"]
