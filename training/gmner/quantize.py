"""Batch-invariant int8 for the text models.

Why: `quantize_dynamic` (the first export) inserts DynamicQuantizeLinear before every MatMul. That op picks ONE
scale for the whole activation tensor, i.e. for every sequence of the batch and every padding position at once, so
a post's probabilities depended on its batch-mates (the same 464 posts at batch 1 and 32: 113 posts with different
mentions). Here each weight MatMul becomes MatMulNBits with 8-bit, block-wise weights and `accuracy_level=4`: ONNX
Runtime then quantises the activations block by block *within each row*, so a row's result depends only on that
row. Everything else (attention, softmax, layer norm) stays fp32, which is row-wise already, and padding is masked.

    python -m gmner.quantize --fp32 model.fp32.onnx --out model.int8.onnx
    python -m gmner.quantize --dequantize model.int8.onnx --out model.fp32.onnx   # undo the old dynamic int8
    python -m gmner.quantize --requantize-dir ../models/stage1   # both steps in place, manifest updated
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

BLOCK_SIZE = 32
ACCURACY_LEVEL = 4  # int8 activations, quantised per block of each row (MLAS "CompInt8")


def quantize_batch_invariant(fp32: Path, out: Path, bits: int = 8, block_size: int = BLOCK_SIZE) -> None:
    """Weight MatMuls -> MatMulNBits (`bits`-bit weights, per-row block-wise int8 activations)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    model = onnx.load(str(fp32))
    cfg = DefaultWeightOnlyQuantConfig(block_size=block_size, is_symmetric=True, accuracy_level=ACCURACY_LEVEL,
                                       bits=bits)
    q = MatMulNBitsQuantizer(model, algo_config=cfg)
    q.process()
    onnx.save(q.model.model, str(out))


QUANTIZATION_INFO = {
    "method": "MatMulNBits (onnxruntime.quantization.matmul_nbits_quantizer)",
    "weight_bits": 8, "block_size": BLOCK_SIZE, "symmetric": True, "accuracy_level": ACCURACY_LEVEL,
    "batch_invariant": True,
    "note": "activations are quantised per block within each row, so a sequence's outputs do not depend on its "
            "batch-mates or padding (the earlier quantize_dynamic used one scale per batch)",
}


def requantize_dir(model_dir: Path) -> None:
    """Turns a model folder exported with dynamic int8 into the batch-invariant int8, in place. The fp32 weights
    are recovered from the int8 file itself, so this needs no training run; the manifest records it."""
    manifest_file = model_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    int8 = model_dir / manifest["files"]["int8"]
    if manifest.get("quantization", {}).get("batch_invariant"):
        print(f"{int8}: already batch-invariant")
        return
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        restored = dequantize_dynamic(int8, fp32)
        out = Path(tmp) / "model.int8.onnx"
        quantize_batch_invariant(fp32, out)
        out.replace(int8)
    manifest["quantization"] = {**QUANTIZATION_INFO, "from": "dequantised dynamic-int8 weights of the same "
                                f"version ({restored} MatMuls), see gmner.quantize.requantize_dir"}
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{int8}: requantised ({restored} MatMuls), manifest updated")


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
        a_q, w_q, a_zp, w_zp = node.input
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
        other = [i for i in mul[0].input if i != cast[0].output[0]][0]
        scale_mul = prod[other]  # Mul(A_scale, W_scale)
        w_scale_name = [i for i in scale_mul.input if i in inits][0]
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
    ap.add_argument("--fp32", help="fp32 model to quantise")
    ap.add_argument("--dequantize", help="dynamic-int8 model to turn back into float")
    ap.add_argument("--requantize-dir", help="model folder to convert in place (dynamic int8 -> batch-invariant)")
    ap.add_argument("--out")
    ap.add_argument("--bits", type=int, default=8)
    args = ap.parse_args(argv)
    if args.requantize_dir:
        requantize_dir(Path(args.requantize_dir))
    elif not args.out:
        ap.error("--out is required with --fp32 or --dequantize")
    elif args.dequantize:
        print(f"restored {dequantize_dynamic(Path(args.dequantize), Path(args.out))} MatMuls -> {args.out}")
    elif args.fp32:
        quantize_batch_invariant(Path(args.fp32), Path(args.out), bits=args.bits)
        print(f"wrote {args.out}")
    else:
        ap.error("give --fp32 or --dequantize")


if __name__ == "__main__":
    main()
