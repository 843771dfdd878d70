#!/usr/bin/env python3
"""Static int8 (QDQ) of the CenterNet detector written by convert_detector.py, for measuring against fp32.

Why: the detector is half of the image path's CPU time (~260 ms an image at one thread under load). Static QDQ
with fixed, calibrated activation scales keeps a batch's images independent of each other (as the engine's
batching needs); weights are int8 per output channel. Outcome (docs/images.md, "An int8 detector"): no variant
tried agreed well enough with fp32 (best 0.70 of fp32's detections matched on the fixture photos), and the
closest ones ran slower than fp32, so no int8 file is shipped and `images.detector.precision` defaults to fp32.
This script stays so the measurement can be repeated (other onnxruntime versions, QAT weights, other CPUs).

Calibration inputs are made by the engine's own preprocessing (letterbox to 512x512, bilinear, 0..255 float NHWC)
in bench/detector-precision.ts, from the project's rendered sample images and variants (mirrored, cropped,
darkened) of the fixture photos; the fixture photos themselves are left out so the agreement measured on them is
on images calibration never saw. The same bench then measures int8 against fp32 through the engine.

    npm run build && node dist/bench/detector-precision.js --dump /tmp/detector-calibration
    cp -r models/detector /tmp/detector-int8
    .venv-training/bin/python training/quantize_detector.py --inputs /tmp/detector-calibration \
        --model-dir /tmp/detector-int8 --method percentile --keep-float depthwise,se,first,heads
    node dist/bench/detector-precision.js --model-dir /tmp/detector-int8     # agreement and speed, fp32 vs int8

It writes centernet.int8.onnx beside the fp32 file, reference-detections.int8.json (the int8 model's decoded
detections on the stretched fixtures) and records files.int8 and the method in that folder's manifest.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gmner.data import sha256_file

INT8_FILE = "centernet.int8.onnx"
STRIDE = 4


def load_inputs(folder: Path) -> tuple[np.ndarray, list[str]]:
    """The float32 NHWC tensors bench/detector-precision.ts --dump wrote, with their names."""
    meta = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    shape = [int(d) for d in meta["shape"]]
    data = np.fromfile(folder / "inputs.f32", dtype="<f4")
    if data.size != int(np.prod(shape)):
        raise SystemExit(f"{folder}/inputs.f32 holds {data.size} floats, inputs.json says {shape}")
    return data.reshape(shape), list(meta["names"])


def decode(keypoints: np.ndarray, wh: np.ndarray, min_score: float, stride: int = STRIDE, max_detections: int = 100) -> list[list[float]]:
    """src/images/centernet.ts in numpy for one image: keypoints [grid, grid, classes], wh [grid, grid, 4]. A cell is a
    detection when no 3x3 neighbour in its class is larger and its score >= min_score. Rows x1, y1, x2, y2, score,
    class in input pixels, best first."""
    grid_y, grid_x, _ = keypoints.shape
    padded = np.pad(keypoints, ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    neighbours = np.max(np.stack([padded[1 + dy:1 + dy + grid_y, 1 + dx:1 + dx + grid_x] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]), axis=0)
    ys, xs, cs = np.nonzero((keypoints >= min_score) & (keypoints >= neighbours))
    rows = []
    for y, x, c in zip(ys, xs, cs, strict=True):
        left, top, right, bottom = (float(v) for v in wh[y, x])
        rows.append([x * stride - left, y * stride - top, x * stride + right, y * stride + bottom, float(keypoints[y, x, c]), float(c)])
    rows.sort(key=lambda r: -r[4])
    return rows[:max_detections]


KEEP_FLOAT = {
    "heads": "the two output heads (class heat-map and box distances)",
    "depthwise": "the depthwise convolutions (per-tensor activation scales fit their per-channel ranges worst)",
    "se": "the squeeze-excite convolutions",
    "first": "the first convolution (on the 0..255 input)",
    "neck": "the whole CenterNet neck and head after the MobileNetV3 backbone",
}


def float_nodes(model, keep: list[str]) -> list[str]:
    """Conv nodes left in fp32 for each named group of KEEP_FLOAT."""
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    out = []
    for n in convs:
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        if (("heads" in keep and ("centernet_cls_output" in n.name or "centernet_wh_output" in n.name))
                or ("depthwise" in keep and group > 1)
                or ("se" in keep and ("squeeze_excite" in n.name or "conv1x1_se" in n.name))
                or ("first" in keep and n is convs[0])
                or ("neck" in keep and "CenternetHead" in n.name)):
            out.append(n.name)
    return out


def quantize(fp32: Path, out: Path, inputs: np.ndarray, method: str, ops: list[str], keep_float: list[str]) -> dict:
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self, name: str):
            self.batches = iter([{name: inputs[i:i + 1]} for i in range(inputs.shape[0])])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(str(prepared))
        input_name = model.graph.input[0].name
        excluded = float_nodes(model, keep_float)
        methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy, "percentile": CalibrationMethod.Percentile}
        extra = {"CalibMovingAverage": False}
        if method == "percentile":
            extra["CalibPercentile"] = 99.999
        quantize_static(str(prepared), str(out), Reader(input_name), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=methods[method],
                        op_types_to_quantize=ops, nodes_to_exclude=excluded, extra_options=extra)
    return {
        "method": f"static QDQ int8 (onnxruntime.quantization.quantize_static), {method} calibration",
        "weights": "int8 per output channel", "activations": "uint8, fixed per-tensor scales",
        "ops": ops, "float_kept": [KEEP_FLOAT[k] for k in keep_float] or "none",
        "batch_invariant": True,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", required=True, help="folder written by bench/detector-precision.ts --dump")
    ap.add_argument("--model-dir", default="models/detector")
    ap.add_argument("--fp32", default=None, help="fp32 model (default: the manifest's fp32 file)")
    ap.add_argument("--out", default=None, help=f"int8 model (default: <model-dir>/{INT8_FILE}); the manifest is only updated for the default")
    ap.add_argument("--method", choices=("minmax", "entropy", "percentile"), default="minmax")
    ap.add_argument("--ops", default="Conv", help="comma-separated op types to quantise")
    ap.add_argument("--keep-float", default="", help=f"comma-separated groups of convolutions left in fp32: {', '.join(KEEP_FLOAT)}")
    args = ap.parse_args(argv)

    import onnxruntime as ort

    started = time.time()
    model_dir = Path(args.model_dir)
    manifest_file = model_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    fp32 = Path(args.fp32) if args.fp32 else model_dir / manifest["files"]["fp32"]
    out = Path(args.out) if args.out else model_dir / INT8_FILE
    inputs, names = load_inputs(Path(args.inputs))
    calib = np.stack([inputs[i] for i, n in enumerate(names) if not n.startswith("fixture:")])
    info = quantize(fp32, out, calib, args.method, args.ops.split(","), [k for k in args.keep_float.split(",") if k])
    info["calibration"] = f"{calib.shape[0]} inputs: " + ", ".join(n for n in names if not n.startswith("fixture:"))

    # Output drift on every dumped input, and the int8 model's own detections on the fixtures (stretch inputs).
    sessions = {k: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for k, p in (("fp32", fp32), ("int8", out))}
    in_name = sessions["fp32"].get_inputs()[0].name
    kp_name, wh_name = manifest["outputs"]["keypoints"], manifest["outputs"]["wh"]
    drift = {"keypoints": 0.0, "wh": 0.0}
    references: dict[str, list[list[float]]] = {}
    for i, name in enumerate(names):
        res = {k: dict(zip([o.name for o in s.get_outputs()], s.run(None, {in_name: inputs[i:i + 1]}), strict=True)) for k, s in sessions.items()}
        drift["keypoints"] = max(drift["keypoints"], float(np.max(np.abs(res["fp32"][kp_name] - res["int8"][kp_name]))))
        drift["wh"] = max(drift["wh"], float(np.max(np.abs(res["fp32"][wh_name] - res["int8"][wh_name]))))
        if name.startswith("fixture:"):
            rows = decode(res["int8"][kp_name][0], res["int8"][wh_name][0], 0.1)
            references[name.removeprefix("fixture:")] = [[round(v, 4) for v in r] for r in rows]
    print(f"max abs diff fp32 vs int8 over {len(names)} inputs: {drift}", file=sys.stderr)

    if args.out is None:
        note = ("int8 model's heads decoded by quantize_detector.decode (as src/images/centernet.ts), rows x1,y1,x2,y2,score,class "
                "in input pixels; input: the fixture stretched to 512x512 by the engine's own code (bench/detector-precision.ts --dump)")
        (model_dir / "reference-detections.int8.json").write_text(
            json.dumps({"images": sorted(references), "note": note, "detections": references}) + "\n", encoding="utf-8")
        manifest["files"]["int8"] = INT8_FILE
        manifest.setdefault("sha256_files", {})["int8"] = sha256_file(out)
        manifest["quantization"] = {**manifest.get("quantization", {}), **info, "max_abs_diff_vs_fp32": drift,
                                    "onnxruntime": ort.__version__, "quantized_in_s": round(time.time() - started, 1)}
        manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"out": str(out), "bytes": out.stat().st_size, **info, "max_abs_diff_vs_fp32": drift}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
