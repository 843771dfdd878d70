"""Per-row dynamic int8 (W8A8) for the text models: int8 arithmetic that is batch-invariant by construction.

Why: the shipped int8 files compute in float. Stage 1 is weight-only (int8 storage, float MatMuls) and stage 2's
static QDQ graph is not fused into integer kernels by onnxruntime's CPU provider, so both pay fp32 GEMMs. The old
`quantize_dynamic` recipe did run integer kernels, but its DynamicQuantizeLinear takes ONE scale for the whole
activation tensor, so a post's result depended on its batch-mates.

Here every MatMul with a constant weight becomes

    x [.., K] -> Reshape [N, K] -> scale[n] = max|x[n, :]| / 63 -> QuantizeLinear(axis=0, zero point 64) -> uint8
    MatMulIntegerToFloat(x_u8, W_s8, zero points 64 / 0, column scales w_scale[m]) * scale[n] -> Reshape [.., M]

Each activation row (one token of one post) gets its own scale, computed from that row alone; the integer product
is exact; the rescale is elementwise. So a row's output depends on that row only, whatever else is in the batch,
and onnxruntime runs its u8s8 integer GEMM (VNNI where the CPU has it). The activation codes stay within 1..127
(gmner.narrow says why: without VNNI, VPMADDUBSW would saturate pairs of larger codes). Weights are int8 per output column: the
codes already in the file are reused as they are (no second rounding), so the file does not grow.

Left in float: the attention products (no constant weight), and whatever `keep_float` names (kept as weight-only
Cast+Mul, which the session folds once at load).

    python -m gmner.row_int8 --model ../models/stage1/model.int8.onnx --out /tmp/stage1.row.onnx
    python -m gmner.row_int8 --model-dir ../models/stage2          # in place; manifest and version updated
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .narrow import ACTIVATIONS_NOTE, LEVELS, ZERO_POINT
from .onnx_files import save_atomically

#: A row whose largest magnitude is below this is quantised with this scale (all zeros stay zeros).
MIN_ROW_SCALE = 1e-8

ROW_INT8_INFO = {
    "method": "per-row dynamic int8, W8A8 (gmner.row_int8.quantize_rows)",
    "weights": "int8 per output column (MatMulIntegerToFloat B, zero point 0); embedding tables int8, made float at load",
    "activations": f"uint8 with one scale per row (token) from max|x| of that row, zero point {ZERO_POINT}; "
                   + ACTIVATIONS_NOTE,
    "activation_bits": 7,
    "float_kept": "attention products (no constant weight)",
    "batch_invariant": True,
    "note": "each row's scale depends on that row alone and the integer product is exact, so a sequence's outputs "
            "do not depend on its batch-mates or padding",
}


class _Graph:
    """Name lookups over one graph while it is rewritten."""

    def __init__(self, graph):
        self.g = graph
        self.inits = {i.name: i for i in graph.initializer}
        self.producer = {o: n for n in graph.node for o in n.output}
        self.counter = 0
        self.shapes: set[str] = set()

    def fresh(self) -> str:
        """A short unique prefix for new tensor and node names (long names would grow the file)."""
        self.counter += 1
        return f"rq{self.counter}"

    def const(self, name: str, array: np.ndarray) -> str:
        self.g.initializer.append(numpy_helper.from_array(array, name))
        self.inits[name] = self.g.initializer[-1]
        return name

    def shared(self, name: str, array: np.ndarray) -> str:
        """A constant used by many nodes, stored once under `name`."""
        return name if name in self.inits else self.const(name, array)

    def array(self, name: str) -> np.ndarray | None:
        init = self.inits.get(name)
        return None if init is None else numpy_helper.to_array(init)


def int8_weight(gr: _Graph, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The MatMul weight `name` as (int8 codes [K, M], float scale [M]), or None when it is not constant.

    Understands the three forms our files hold: a float initializer (rounded here, per output column), the
    weight-only `Mul(Cast(int8), scale)` of gmner.quantize.weights_to_int8, and a per-column `DequantizeLinear`
    with zero point 0 from quantize_static; the last two keep their codes as they are."""
    direct = gr.array(name)
    if direct is not None:
        w = direct.astype(np.float32)
        scale = (np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0).astype(np.float32)
        return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale
    node = gr.producer.get(name)
    if node is None:
        return None
    if node.op_type == "Mul":
        cast = next((gr.producer.get(i) for i in node.input if gr.producer.get(i) is not None), None)
        scale_name = next((i for i in node.input if i in gr.inits), None)
        if cast is None or cast.op_type != "Cast" or scale_name is None:
            return None
        codes = gr.array(cast.input[0])
        if codes is None or codes.dtype != np.int8:
            return None
        return codes, gr.array(scale_name).astype(np.float32).reshape(-1)
    if node.op_type == "DequantizeLinear":
        codes = gr.array(node.input[0])
        scale = gr.array(node.input[1])
        zero = gr.array(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(1, np.int8)
        if codes is None or codes.dtype != np.int8 or scale is None or np.any(zero != 0):
            return None
        if scale.size not in (1, codes.shape[1]):
            return None
        return codes, np.broadcast_to(scale.astype(np.float32).reshape(-1), (codes.shape[1],)).copy()
    return None


def float_activation(gr: _Graph, name: str) -> str:
    """The float tensor behind a static fake-quantisation pair `DequantizeLinear(QuantizeLinear(x))`, else `name`."""
    dq = gr.producer.get(name)
    if dq is None or dq.op_type != "DequantizeLinear":
        return name
    q = gr.producer.get(dq.input[0])
    return q.input[0] if q is not None and q.op_type == "QuantizeLinear" else name


def _row_quantiser(gr: _Graph, x: str, k: int) -> tuple[list, str, str]:
    """Nodes that quantise activation `x` [.., K] row by row: returns (nodes, uint8 codes [N, K], scales [N, 1])."""
    p = gr.fresh()
    flat = gr.shared(f"rq_flat_{k}", np.array([-1, k], np.int64))
    inv_levels = gr.shared("rq_inv_levels", np.array(1.0 / LEVELS, np.float32))
    floor = gr.shared("rq_min_scale", np.array(MIN_ROW_SCALE, np.float32))
    zero = gr.shared("rq_zero_u8_1d", np.array([ZERO_POINT], np.uint8))
    axis1 = gr.shared("rq_axis1", np.array([1], np.int64))
    nodes = [
        helper.make_node("Reshape", [x, flat], [f"{p}_x2"], name=f"{p}_flatten"),
        helper.make_node("Abs", [f"{p}_x2"], [f"{p}_abs"], name=f"{p}_abs"),
        helper.make_node("ReduceMax", [f"{p}_abs"], [f"{p}_amax"], name=f"{p}_amax", keepdims=0, axes=[1]),
        helper.make_node("Mul", [f"{p}_amax", inv_levels], [f"{p}_scale_raw"], name=f"{p}_scale_raw"),
        helper.make_node("Max", [f"{p}_scale_raw", floor], [f"{p}_scale"], name=f"{p}_scale"),
        helper.make_node("Shape", [f"{p}_scale"], [f"{p}_rows"], name=f"{p}_rows"),
        helper.make_node("Expand", [zero, f"{p}_rows"], [f"{p}_zp"], name=f"{p}_zp"),
        helper.make_node("QuantizeLinear", [f"{p}_x2", f"{p}_scale", f"{p}_zp"], [f"{p}_xq"], name=f"{p}_quant", axis=0),
        helper.make_node("Unsqueeze", [f"{p}_scale", axis1], [f"{p}_scale_col"], name=f"{p}_scale_col"),
        helper.make_node("Shape", [x], [f"{p}_lead"], name=f"{p}_lead", end=-1),
    ]
    return nodes, f"{p}_xq", f"{p}_scale_col"


def _row_int8_nodes(gr: _Graph, matmul, quantised: tuple[str, str, str], codes: np.ndarray, w_scale: np.ndarray) -> list:
    """MatMulIntegerToFloat (integer GEMM, column scales applied in its epilogue), then the row scales, reshaped back
    (to the activation's leading dimensions and M columns; one shape per activation and M, so q, k and v share it)."""
    xq, row_scale, lead = quantised
    m = codes.shape[1]
    p = gr.fresh()
    out_shape = f"{lead}_{m}"
    shape_node = []
    if out_shape not in gr.shapes:
        gr.shapes.add(out_shape)
        cols = gr.shared(f"rq_cols_{m}", np.array([m], np.int64))
        shape_node = [helper.make_node("Concat", [lead, cols], [out_shape], name=f"{out_shape}_concat", axis=0)]
    one = gr.shared("rq_one", np.array(1.0, np.float32))
    a_zero = gr.shared("rq_zero_u8", np.array(ZERO_POINT, np.uint8))
    b_zero = gr.shared("rq_zero_s8", np.array(0, np.int8))
    return [
        *shape_node,
        helper.make_node("MatMulIntegerToFloat", [xq, gr.const(f"{p}_w_int8", codes), one, gr.const(f"{p}_w_scale", w_scale.astype(np.float32)),
                                                  a_zero, b_zero], [f"{p}_y2_col"], name=f"{p}_matmul", domain="com.microsoft"),
        helper.make_node("Mul", [f"{p}_y2_col", row_scale], [f"{p}_y2"], name=f"{p}_row_scale"),
        helper.make_node("Reshape", [f"{p}_y2", out_shape], [matmul.output[0]], name=f"{p}_unflatten"),
    ]


def _weight_only_nodes(gr: _Graph, matmul, x: str, codes: np.ndarray, w_scale: np.ndarray) -> list:
    p = gr.fresh()
    wq = gr.const(f"{p}_w_int8", codes)
    wsc = gr.const(f"{p}_w_scale", w_scale.astype(np.float32))
    return [
        helper.make_node("Cast", [wq], [f"{p}_wf"], name=f"{p}_weight_cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{p}_wf", wsc], [f"{p}_w"], name=f"{p}_weight_scale"),
        helper.make_node("MatMul", [x, f"{p}_w"], list(matmul.output), name=matmul.name),
    ]


def quantize_rows(model, keep_float: set[str] | None = None) -> dict[str, int]:
    """Rewrites `model` in place: every MatMul with a constant weight to per-row W8A8, except the node names in
    `keep_float` (weight-only int8). Static QDQ activation pairs left over are removed (their ops compute in
    float either way). Returns counts of what changed."""
    keep_float = keep_float or set()
    gr = _Graph(model.graph)
    new_nodes, replaced, rows, kept = [], set(), 0, 0
    quantisers: dict[str, tuple[str, str, str]] = {}  # one quantiser per activation (q, k and v share theirs)
    for node in list(gr.g.node):
        if node.op_type != "MatMul":
            continue
        weight = int8_weight(gr, node.input[1])
        if weight is None:
            continue
        x = float_activation(gr, node.input[0])
        if node.name in keep_float:
            new_nodes += _weight_only_nodes(gr, node, x, *weight)
            kept += 1
        else:
            if x not in quantisers:
                nodes, xq, row_scale = _row_quantiser(gr, x, weight[0].shape[0])
                new_nodes += nodes
                quantisers[x] = (xq, row_scale, nodes[-1].output[0])
            new_nodes += _row_int8_nodes(gr, node, quantisers[x], *weight)
            rows += 1
        replaced.add(id(node))
    survivors = [n for n in gr.g.node if id(n) not in replaced]
    del gr.g.node[:]
    gr.g.node.extend(survivors + new_nodes)
    pairs = _drop_fake_quantisation(gr.g)
    _prune(gr.g)
    _set_opset(model, 17)
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    from .quantize import _topological_sort
    _topological_sort(gr.g)
    onnx.checker.check_model(model)
    return {"row_int8": rows, "activations_quantised": len(quantisers), "weight_only": kept, "qdq_pairs_removed": pairs}


def _drop_fake_quantisation(g) -> int:
    """Takes each activation `DequantizeLinear(QuantizeLinear(x))` out: its consumers read `x` instead (a pair that
    ends in a graph output becomes an Identity of `x`, so the output keeps its name)."""
    producer = {o: n for n in g.node for o in n.output}
    outputs = {o.name for o in g.output}
    rename, pairs = {}, 0
    for n in g.node:
        q = producer.get(n.input[0]) if n.op_type == "DequantizeLinear" else None
        if q is None or q.op_type != "QuantizeLinear":
            continue
        pairs += 1
        if n.output[0] in outputs:
            n.op_type, n.domain = "Identity", ""
            del n.input[:]
            n.input.append(q.input[0])
            del n.attribute[:]
        else:
            rename[n.output[0]] = q.input[0]
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    return pairs


def _prune(g) -> None:
    """Removes nodes none of whose outputs is used (repeatedly), then initializers nobody reads and the
    intermediate shape annotations."""
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for init in list(g.initializer):
        if init.name not in used:
            g.initializer.remove(init)
    # Intermediate shape annotations from the export: optional (onnxruntime infers shapes when the session is
    # created) and partly stale after the rewrite, so none are kept. Measured: keeping those of the surviving tensors
    # lets onnxruntime fuse SkipLayerNormalization and BiasGelu again, and runs 0.9x as fast.
    del g.value_info[:]


def _set_opset(model, version: int) -> None:
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version < version:
            op.version = version


def quantize_file(src: Path, out: Path, keep_float: set[str] | None = None) -> dict[str, int]:
    """`src` rewritten to per-row int8 at `out` (may be `src`): written beside it, then renamed, so a failure
    leaves whatever was at `out` as it was."""
    model = onnx.load(str(src))
    counts = quantize_rows(model, keep_float)
    save_atomically(model, out)
    return counts


def quantize_model_dir(model_dir: Path) -> dict[str, int]:
    """Converts a model folder's int8 file in place (written beside it first, then renamed) and records the
    recipe in its manifest. Refuses a file that is already per-row int8."""
    manifest_file = model_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    int8 = model_dir / manifest["files"]["int8"]
    previous = manifest.get("quantization") or {}
    if previous.get("method") == ROW_INT8_INFO["method"]:
        raise SystemExit(f"{int8} is already per-row int8")
    counts = quantize_file(int8, int8)
    before = previous.get("method") or ("static QDQ int8" if counts["qdq_pairs_removed"] else "the previous int8 file")
    manifest["quantization"] = {**ROW_INT8_INFO, "from": f"the int8 weight codes of {before}, kept as they were",
                                "previous_version": manifest["version"], "matmuls": counts}
    # Outputs move by activation rounding: a new version, so caches keyed by model version do not mix the two.
    manifest["version"] = f"{manifest['version']}-row8"
    manifest_file.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")  # the folder's style
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="an ONNX file (float, weight-only int8 or static QDQ int8)")
    ap.add_argument("--out", help="with --model: where to write the per-row int8 file")
    ap.add_argument("--model-dir", help="a model folder to convert in place (manifest updated)")
    ap.add_argument("--keep-float", default="", help="comma-separated MatMul node names to leave weight-only")
    args = ap.parse_args(argv)
    keep = {n for n in args.keep_float.split(",") if n}
    if args.model_dir:
        print(quantize_model_dir(Path(args.model_dir)))
    elif args.model and args.out:
        print(quantize_file(Path(args.model), Path(args.out), keep))
    else:
        ap.error("give --model and --out, or --model-dir")


if __name__ == "__main__":
    main()
