"""Batch-invariant int8 for the text models.

Why: `quantize_dynamic` (the first export) inserts DynamicQuantizeLinear before every MatMul. That op picks ONE
scale for the whole activation tensor, i.e. for every sequence of the batch and every padding position at once, so
a post's probabilities depended on its batch-mates (the same 464 posts at batch 1 and 32: 113 posts with different
mentions). Here activations are quantised with FIXED scales, calibrated once (MinMax over real training posts) and
stored in the graph as QDQ pairs: a value's int8 code depends only on the value, so a row's result depends only on
that row. Weights are int8 per output channel. Left in float: the attention products (no constant weight) and the
feed-forward down-projections, whose GELU inputs have the long-tailed range static int8 handles worst (quantising
them too cost 1.4 dev span F1; keeping them costs 0.3). The down-projections' weights are still stored int8 (per
output column, Cast and Mul back to float, folded when the session loads: weight-only), a quarter of their fp32 size.

Alternatives measured on this CPU (stage 1, dev, sorted batches of 32; ratios to the old dynamic int8 in one run):
MatMulNBits 8-bit with per-row int8 activations is also exactly batch-invariant at block 32/64 but runs at
0.41-0.48x; block 128 runs at 0.64x but is not invariant (max probability shift 0.024); fp32 0.45-0.56x.

    python -m gmner.quantize --fp32 model.fp32.onnx --stage stage1 --out model.int8.onnx
    python -m gmner.quantize --dequantize model.int8.onnx --out model.fp32.onnx   # undo the old dynamic int8
    python -m gmner.quantize --requantize-dir ../models/stage1                 # both steps in place, manifest updated
    python -m gmner.quantize --requantize-dir ../models/stage2 --fp32 runs/X/export/stage2/model.fp32.onnx  # from float
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .narrow import ACTIVATIONS_NOTE, narrow_qdq

CALIBRATION_POSTS = 128


def calibration_feeds(stage: str, data_dir: Path | None = None, posts: int = CALIBRATION_POSTS, wt=None) -> list[dict]:
    """Model inputs built from the first `posts` training posts (server-style words), padded to one width so the
    calibrator can stack them. Stage 2 gets one prompt per gold entity of those posts. wt: the model's
    gmner.encoding.WordTokenizer (default the MiniLM one)."""
    from . import data as D
    from .encoding import WordTokenizer, encode_stage1, encode_stage2

    train = [D.merge_sigils(t) for t in D.load_split(data_dir or D.DEFAULT_DATA_DIR, "train")[:posts]]
    wt = wt or WordTokenizer()
    if stage == "stage1":
        encs = [encode_stage1(wt, t.words) for t in train]
    else:
        encs = [encode_stage2(wt, t.words[s:e], t.words) for t in train for s, e, _ in t.spans()]
    width = max(len(e.input_ids) for e in encs)
    feeds = []
    for b in range(0, len(encs) - 15, 16):
        batch = encs[b: b + 16]
        ids = np.zeros((len(batch), width), np.int64)
        shp = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for j, e in enumerate(batch):
            ids[j, : len(e.input_ids)] = e.input_ids
            shp[j, : len(e.shape_ids)] = e.shape_ids
            mask[j, : len(e.input_ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "shape_ids": shp}
        if stage == "stage2":
            feed["mask_index"] = np.array([e.mask_index for e in batch], np.int64)
            feed["obj_index"] = np.array([e.obj_index for e in batch], np.int64)
        feeds.append(feed)
    return feeds


def kept_in_float(model) -> list[str]:
    """MatMuls left in fp32: those without a constant weight (attention) and the feed-forward down-projections."""
    inits = {i.name for i in model.graph.initializer}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and (
        not any(i in inits for i in n.input)
        or (n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name))]


def quantize_batch_invariant(fp32: Path, out: Path, feeds: list[dict], exclude: list[str] | None = None) -> None:
    """Static QDQ int8 (fixed, calibrated activation scales; per-channel weights) of the weight MatMuls, then the
    embedding tables (Gather) to int8 weight-only. Both are batch-invariant. `exclude`: MatMul nodes kept in fp32
    (default `kept_in_float`)."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(feeds)

        def get_next(self):
            return next(self.batches, None)

    kept = kept_in_float(onnx.load(str(fp32))) if exclude is None else exclude
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "static.onnx"
        quantize_static(str(fp32), str(staged), Reader(), quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"],
                        nodes_to_exclude=kept, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
        # 7-bit activation codes, so integer kernels without VNNI do not saturate (gmner.narrow).
        narrowed = onnx.load(str(staged))
        narrow_qdq(narrowed)
        onnx.save(narrowed, str(staged))
        # The embedding tables and the kept MatMuls' weights: int8 storage, float arithmetic (weight-only).
        quantize_weights_only(staged, out, kept)


def quantize_weights_only(fp32: Path, out: Path, names: list[str] | None = None) -> int:
    """Weight-only int8: the constant weights of the named MatMuls (default: all) stored int8 per output column
    (weights_to_int8) and the embedding tables int8 (Gather, one fixed scale a table), activations left in float.
    The file is as small as the static recipe's; the arithmetic is the float graph's, so outputs stay within
    weight rounding of fp32 and no row depends on another. Returns the number of MatMuls changed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        gathered = Path(tmp) / "gather.onnx"
        quantize_dynamic(str(fp32), str(gathered), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
        model = onnx.load(str(gathered))
        done = weights_to_int8(model, [n.name for n in model.graph.node if n.op_type == "MatMul"] if names is None else names)
        onnx.save(model, str(out))
    return done


WEIGHT_ONLY_INFO = {
    "method": "weight-only int8 (gmner.quantize.quantize_weights_only)",
    "weights": "MatMul weights int8 per output column and embedding tables int8, made float when the session loads",
    "activations": "float (not quantised)",
    "batch_invariant": True,
    "note": "the fp32 graph's arithmetic with int8-rounded weights: a sequence's outputs do not depend on its batch-mates",
}


def weights_to_int8(model, names: list[str]) -> int:
    """The constant weights of the named float MatMuls stored as int8 with one scale per output column, turned back
    into float by Cast and Mul. Those two nodes have only constant inputs, so onnxruntime folds them once when the
    session is created (a DequantizeLinear would run on every call: it is kept for QDQ fusion). The product stays
    float (activations are not quantised, so still batch-invariant) and the file holds 1 byte a weight instead of
    4. Returns the number of MatMuls changed."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    done = 0
    for node in g.node:
        if node.op_type != "MatMul" or node.name not in names or node.input[1] not in inits:
            continue
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)  # [in, out]
        scale = (np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0).astype(np.float32)
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        base = node.input[1]
        g.initializer.remove(inits[base])
        g.initializer.extend([numpy_helper.from_array(q, base + "_int8"), numpy_helper.from_array(scale, base + "_scale")])
        g.node.extend([
            helper.make_node("Cast", [base + "_int8"], [base + "_int8_float"], name=node.name + "_weight_cast", to=onnx.TensorProto.FLOAT),
            helper.make_node("Mul", [base + "_int8_float", base + "_scale"], [base + "_float"], name=node.name + "_weight_scale"),
        ])
        node.input[1] = base + "_float"
        done += 1
    _topological_sort(g)
    return done


QUANTIZATION_INFO = {
    "method": "static QDQ int8 (onnxruntime.quantization.quantize_static), MinMax calibration",
    "calibration": f"first {CALIBRATION_POSTS} Twitter-GMNER training posts",
    "weights": "int8 per output channel", "activations": "fixed per-tensor scales; " + ACTIVATIONS_NOTE,
    "activation_bits": 7,
    "float_kept": "attention products and the feed-forward down-projections (their weights stored int8 per output "
                  "column, made float once when the session loads: weight-only)",
    "batch_invariant": True,
    "note": "fixed activation scales, so a sequence's outputs do not depend on its batch-mates or padding (the "
            "earlier quantize_dynamic used one scale per batch)",
}


def requantize_dir(model_dir: Path, data_dir: Path | None = None, fp32: Path | None = None) -> None:
    """Re-makes a model folder's int8 file with today's recipe, in place, and records it in the manifest. The float
    weights come from `fp32` (the run's fp32 export of the same version) or, without it, from the folder's old
    dynamic-int8 file itself (dequantised), so this needs no training run."""
    manifest_file = model_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    int8 = model_dir / manifest["files"]["int8"]
    if fp32 is None and manifest.get("quantization", {}).get("batch_invariant"):
        print(f"{int8}: already batch-invariant (give --fp32 to re-make it from float weights)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        if fp32 is None:
            fp32 = Path(tmp) / "model.fp32.onnx"
            restored = dequantize_dynamic(int8, fp32)
            source = f"dequantised dynamic-int8 weights of the same version ({restored} MatMuls), see gmner.quantize.requantize_dir"
        else:
            source = f"the fp32 export {fp32.name} of the same version, see gmner.quantize.requantize_dir"
        out = Path(tmp) / "model.int8.onnx"
        quantize_batch_invariant(fp32, out, calibration_feeds(manifest["stage"], data_dir))
        shutil.move(out, int8)
    manifest["quantization"] = {**QUANTIZATION_INFO, "from": source}
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{int8}: requantised from {source}; manifest updated")


def _producers(graph):
    return {o: n for n in graph.node for o in n.output}


def _consumers(graph, name):
    return [n for n in graph.node if name in n.input]


def dequantize_dynamic(int8: Path, out: Path) -> int:
    """Rewrites each `DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scale)` chain that `quantize_dynamic`
    wrote back into a float MatMul with the dequantised weight (W_q - zp) * scale. The result computes exactly what
    the int8 weights encode, with float activations. Returns the number of MatMuls restored."""
    model = onnx.load(str(int8))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    prod = _producers(g)
    remove, add, restored = [], [], 0
    for node in list(g.node):
        if node.op_type != "MatMulInteger":
            continue
        a_q, w_q, _a_zp, w_zp = node.input
        dql = prod[a_q]
        if dql.op_type != "DynamicQuantizeLinear":
            raise ValueError(f"{node.name}: input A is not from DynamicQuantizeLinear")
        x = dql.input[0]
        cast = _consumers(g, node.output[0])
        if len(cast) != 1 or cast[0].op_type != "Cast":
            raise ValueError(f"{node.name}: expected one Cast consumer")
        mul = _consumers(g, cast[0].output[0])
        if len(mul) != 1 or mul[0].op_type != "Mul":
            raise ValueError(f"{node.name}: expected one Mul after Cast")
        other = next(i for i in mul[0].input if i != cast[0].output[0])
        scale_mul = prod[other]  # Mul(A_scale, W_scale)
        w_scale_name = next(i for i in scale_mul.input if i in inits)
        wq = numpy_helper.to_array(inits[w_q]).astype(np.float32)
        zp = numpy_helper.to_array(inits[w_zp]).astype(np.float32)
        sc = numpy_helper.to_array(inits[w_scale_name]).astype(np.float32)
        w = ((wq - zp) * sc).astype(np.float32)
        wname = w_q.replace("_quantized", "") + "_dequantized"
        g.initializer.append(numpy_helper.from_array(w, wname))
        add.append(helper.make_node("MatMul", [x, wname], [mul[0].output[0]], name=node.name.replace("_quant", "")))
        remove += [node, cast[0], mul[0], scale_mul]
        restored += 1
    for n in remove:
        if n in g.node:
            g.node.remove(n)
    g.node.extend(add)
    # DynamicQuantizeLinear nodes whose outputs nobody reads any more
    for n in list(g.node):
        if n.op_type == "DynamicQuantizeLinear" and not any(_consumers(g, o) for o in n.output):
            g.node.remove(n)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for i in list(g.initializer):
        if i.name not in used:
            g.initializer.remove(i)
    _topological_sort(g)
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return restored


def _topological_sort(g) -> None:
    known = {i.name for i in g.input} | {i.name for i in g.initializer} | {""}
    pending, ordered = list(g.node), []
    while pending:
        progressed = False
        for n in list(pending):
            if all(i in known for i in n.input):
                ordered.append(n)
                known.update(n.output)
                pending.remove(n)
                progressed = True
        if not progressed:
            raise ValueError("graph has a cycle or a missing input")
    del g.node[:]
    g.node.extend(ordered)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", help="fp32 model to quantise (with --requantize-dir: the float weights to start from)")
    ap.add_argument("--dequantize", help="dynamic-int8 model to turn back into float")
    ap.add_argument("--requantize-dir", help="model folder to convert in place (dynamic int8 -> batch-invariant)")
    ap.add_argument("--out")
    ap.add_argument("--stage", choices=("stage1", "stage2"), help="with --fp32: which model (calibration inputs)")
    ap.add_argument("--data", default=None, help="Twitter-GMNER folder for calibration (default ../shared/data/...)")
    args = ap.parse_args(argv)
    if args.requantize_dir:
        requantize_dir(Path(args.requantize_dir), Path(args.data) if args.data else None, Path(args.fp32) if args.fp32 else None)
    elif not args.out:
        ap.error("--out is required with --fp32 or --dequantize")
    elif args.dequantize:
        print(f"restored {dequantize_dynamic(Path(args.dequantize), Path(args.out))} MatMuls -> {args.out}")
    elif args.fp32:
        if not args.stage:
            ap.error("--fp32 needs --stage")
        quantize_batch_invariant(Path(args.fp32), Path(args.out), calibration_feeds(args.stage, Path(args.data) if args.data else None))
        print(f"wrote {args.out}")
    else:
        ap.error("give --fp32 or --dequantize")


if __name__ == "__main__":
    main()
