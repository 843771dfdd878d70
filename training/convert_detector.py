#!/usr/bin/env python3
"""Convert @vladmandic/human's COCO-80 CenterNet (TFJS graph model) to ONNX.

Route, and why: the TFJS `model.json` topology *is* a TensorFlow GraphDef in
protobuf-JSON form, and the weight file is a flat concatenation documented by
TFJS (here: float32 stored as float16, int32 as-is). So we rebuild the frozen
GraphDef directly, rewrite the TFJS-only fused kernels (`_FusedConv2D`,
`FusedDepthwiseConv2dNative`) back into the plain TF ops they fuse
(Conv2D/DepthwiseConv2dNative + BiasAdd + Relu/Relu6), and hand the graph to
tf2onnx. The `tensorflowjs` PyPI package is not needed: its Python side drags
in tensorflow-hub, tensorflow-decision-forests and tf_keras just to import.

Checks done here: the rebuilt TF graph and the ONNX model agree on the same
inputs (max abs diff printed and written to the manifest). The comparison
against the TFJS runtime itself is `training/verify_detector_tfjs.mjs`.

Usage:
  python3 -m venv .venv-convert
  .venv-convert/bin/pip install -r training/requirements-convert.txt
  nice .venv-convert/bin/python training/convert_detector.py \
      --tfjs node_modules/@vladmandic/human/models/centernet.json \
      --images test/fixtures/images --out models/detector
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# oneDNN's fast kernels drift ~1e-3 from exact float32; the reference must be exact.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.framework import graph_pb2, node_def_pb2

INPUT = "tower_0/images"
# The heads only: the graph's own decoding (peak pick, top-100) reshapes with a
# constant batch of 1, so it is cut off and re-done in TypeScript
# (src/images/centernet.ts), which lets the server batch images. The full graph
# is still converted to check that decoding against the graph's `detections`.
OUTPUTS = ["tower_0/keypoints", "tower_0/wh"]
FULL_OUTPUTS = ["tower_0/detections", "tower_0/keypoints", "tower_0/wh"]
INPUT_SIZE = 512

COCO_LABELS = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]

DTYPES = {"float32": (np.float32, 4), "int32": (np.int32, 4)}


def decode_weights(manifest: list, base_dir: str) -> dict[str, np.ndarray]:
    """Reads the TFJS weight shards: one flat buffer, weights back to back in manifest order."""
    out: dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b"".join(Path(base_dir, p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            if quant is not None:
                if quant["dtype"] != "float16":
                    raise SystemExit(f"unsupported quantization {quant} for {spec['name']}")
                raw = np.frombuffer(buf, dtype=np.float16, count=count, offset=offset)
                offset += 2 * count
                arr = raw.astype(np.float32)
            else:
                np_type, size = DTYPES[spec["dtype"]]
                arr = np.frombuffer(buf, dtype=np_type, count=count, offset=offset).copy()
                offset += size * count
            out[spec["name"]] = arr.reshape(shape)
        if offset != len(buf):
            raise SystemExit(f"weight buffer size mismatch: read {offset} of {len(buf)} bytes")
    return out


def rebuild_graph(model: dict, weights: dict[str, np.ndarray], dynamic_batch: bool = False) -> graph_pb2.GraphDef:
    graph = json_format.ParseDict(model["modelTopology"], graph_pb2.GraphDef())
    if dynamic_batch:
        for node in graph.node:
            if node.op == "Placeholder" and node.name == INPUT:
                node.attr["shape"].shape.dim[0].size = -1
    rebuilt = graph_pb2.GraphDef()
    rebuilt.versions.CopyFrom(graph.versions)
    for node in graph.node:
        if node.op == "Const" and node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
        if node.op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            rebuilt.node.extend(unfuse(node))
        else:
            rebuilt.node.append(node)
    return rebuilt


def unfuse(node: node_def_pb2.NodeDef) -> list[node_def_pb2.NodeDef]:
    """TFJS fuses conv + BiasAdd (+ activation); tf2onnx knows the plain ops, so split them again."""
    fused = [s.decode() for s in node.attr["fused_ops"].list.s]
    base_op = "Conv2D" if node.op == "_FusedConv2D" else "DepthwiseConv2dNative"
    if not fused or fused[0] != "BiasAdd" or len(node.input) < 3:
        raise SystemExit(f"unexpected fused node {node.name}: {fused}")
    conv = node_def_pb2.NodeDef(name=node.name + "/conv", op=base_op)
    conv.input.extend(node.input[:2])
    for key in ("strides", "padding", "data_format", "dilations", "explicit_paddings"):
        if key in node.attr:
            conv.attr[key].CopyFrom(node.attr[key])
    if base_op == "Conv2D":
        conv.attr["use_cudnn_on_gpu"].b = True
    conv.attr["T"].type = tf.float32.as_datatype_enum
    rest = fused[1:]
    bias = node_def_pb2.NodeDef(name=node.name if not rest else node.name + "/bias", op="BiasAdd")
    bias.input.extend([conv.name, node.input[2]])
    bias.attr["T"].type = tf.float32.as_datatype_enum
    if "data_format" in node.attr:
        bias.attr["data_format"].CopyFrom(node.attr["data_format"])
    nodes = [conv, bias]
    if rest:
        if len(rest) != 1 or rest[0] not in ("Relu", "Relu6", "Elu", "Sigmoid", "Tanh"):
            raise SystemExit(f"unsupported fused activation on {node.name}: {rest}")
        act = node_def_pb2.NodeDef(name=node.name, op=rest[0])
        act.input.append(bias.name)
        act.attr["T"].type = tf.float32.as_datatype_enum
        nodes.append(act)
    return nodes


def run_tf(graph_def: graph_pb2.GraphDef, batch: np.ndarray, outputs: list[str] = FULL_OUTPUTS) -> list[np.ndarray]:
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=g) as sess:
        return sess.run([o + ":0" for o in outputs], {INPUT + ":0": batch})


def load_images(folder: str | None) -> np.ndarray:
    """Images as the serving code feeds them: RGB, stretched to 512x512 with bilinear, float 0..255."""
    arrays = []
    if folder:
        for name in sorted(os.listdir(folder)):
            if name.lower().endswith((".jpg", ".jpeg", ".png")):
                raw = tf.io.read_file(os.path.join(folder, name))
                img = tf.image.decode_image(raw, channels=3, expand_animations=False)
                img = tf.image.resize(tf.cast(img, tf.float32), [INPUT_SIZE, INPUT_SIZE], method="bilinear")
                arrays.append(img.numpy())
    rng = np.random.default_rng(7)
    arrays.append(rng.uniform(0, 255, size=(INPUT_SIZE, INPUT_SIZE, 3)).astype(np.float32))
    return np.stack(arrays).astype(np.float32)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfjs", default="node_modules/@vladmandic/human/models/centernet.json")
    ap.add_argument("--images", default="test/fixtures/images")
    ap.add_argument("--out", default="models/detector")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    import onnxruntime as ort
    import tf2onnx

    started = time.time()
    with open(args.tfjs, encoding="utf-8") as f:
        model = json.load(f)
    weights = decode_weights(model["weightsManifest"], os.path.dirname(args.tfjs))
    graph_def = rebuild_graph(model, weights)
    heads_def = rebuild_graph(model, weights, dynamic_batch=True)
    print(f"rebuilt graph: {len(graph_def.node)} nodes, {len(weights)} weights", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "centernet.onnx")
    tf2onnx.convert.from_graph_def(
        heads_def,
        input_names=[INPUT + ":0"],
        output_names=[o + ":0" for o in OUTPUTS],
        opset=args.opset,
        output_path=onnx_path,
    )

    batch = load_images(args.images)
    diffs: dict[str, float] = {}
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    onnx_names = [o.name for o in session.get_outputs()]
    # The whole set in one ONNX run (batching works), against the original
    # batch-1 TF graph image by image.
    got_all = session.run(None, {input_name: batch})
    reference_detections = []
    for i in range(batch.shape[0]):
        ref = run_tf(graph_def, batch[i:i + 1])
        reference_detections.append(ref[0][0].tolist())
        for name, r in zip(FULL_OUTPUTS[1:], ref[1:], strict=True):
            o = got_all[onnx_names.index(name + ":0")][i:i + 1]
            key = name.split("/")[-1]
            diffs[key] = max(diffs.get(key, 0.0), float(np.max(np.abs(r - o))))
    print(f"max abs diff TF graph vs ONNX over {batch.shape[0]} images (one batch): {diffs}", file=sys.stderr)
    # The TF graph's own decoded detections for the fixtures, so the TypeScript
    # decoder is tested against them (test/images/centernet.test.ts).
    with open(os.path.join(args.out, "reference-detections.json"), "w", encoding="utf-8") as f:
        names = sorted(n for n in os.listdir(args.images) if n.lower().endswith((".jpg", ".jpeg", ".png"))) if args.images else []
        note = "TF graph tower_0/detections, rows x1,y1,x2,y2,score,class (input pixels, stretched 512x512 input as load_images makes it)"
        json.dump({"images": names, "note": note,
                   "detections": {n: [[round(v, 4) for v in row] for row in reference_detections[i] if row[4] >= 0.1] for i, n in enumerate(names)}}, f)
        f.write("\n")

    manifest = {
        "name": "centernet-mobilenetv3-coco80",
        "source": "npm @vladmandic/human 3.3.6 models/centernet.json (MB3-CenterNet, COCO-80)",
        "licence": "MIT (@vladmandic/human)",
        "version": sha256(onnx_path)[:12],
        "files": {"fp32": "centernet.onnx"},  # training/quantize_detector.py adds "int8"
        "sha256": sha256(onnx_path),
        "input": {"name": input_name, "layout": "NHWC", "size": INPUT_SIZE, "range": "0..255 RGB float32",
                  "resize": "stretch (no letterbox), bilinear, as @vladmandic/human feeds it"},
        "batch": "dynamic",
        "outputs": {"keypoints": "tower_0/keypoints:0", "wh": "tower_0/wh:0",
                    "keypoints_layout": "[batch, 128, 128, 80] sigmoid heat-map, stride 4",
                    "wh_layout": "[batch, 128, 128, 4] distances left, top, right, bottom in input pixels",
                    "decoding": "peak = 3x3 max-pool equal; box = (4x - l, 4y - t, 4x + r, 4y + b); as the TFJS graph's own detections"},
        "labels": COCO_LABELS,
        "verification": {
            "tf_graph_vs_onnx_max_abs_diff": diffs,
            "onnx_batch": int(batch.shape[0]),
            "images": batch.shape[0],
        },
        "converter": {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "opset": args.opset},
        "converted_in_s": round(time.time() - started, 1),
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(manifest["verification"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
