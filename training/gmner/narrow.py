"""Seven-bit activations for the int8 text models, so their integer products are exact on every x86 CPU.

Why: onnxruntime's u8 x s8 GEMM (MatMulIntegerToFloat, and QLinearMatMul fused from static QDQ) runs on VNNI where
the CPU has it (AVX512-VNNI, AVX-VNNI): exact int32 sums. Without VNNI (AVX2, AVX512 without VNNI) it uses
VPMADDUBSW, which adds two u8 x s8 products into an int16 and saturates at 32767. With 8-bit activations (codes up
to 255, zero point near 128) a pair reaches 2 x 255 x 127 = 64770, so on those CPUs the same model computed other
numbers: CI on an AVX2-only machine failed the contract vectors, and the per-kind figures moved.

With activation codes kept in [1, 127] (63 levels each side of zero point 64), a pair is at most
2 x 127 x 127 = 32258 < 32767: nothing saturates, every kernel computes the same integers, and the outputs agree
across CPUs to float rounding. The weights are untouched (their int8 codes stay as they are); the cost is one bit
of activation resolution, measured in docs/throughput.md.

    python -m gmner.narrow --model-dir ../models/stage1     # in place: file, manifest and version
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .onnx_files import save_atomically

#: Largest activation code: with s8 weights (|w| <= 127 here, 128 at most) two products fit an int16.
MAX_CODE = 127
#: Levels each side of the zero point (codes ZERO_POINT - LEVELS .. ZERO_POINT + LEVELS = 1 .. 127).
LEVELS = 63
ZERO_POINT = 64

#: What the manifests say of the activations (gmner.row_int8 and gmner.quantize record it).
ACTIVATIONS_NOTE = (f"uint8 codes kept in [0, {MAX_CODE}] (7 bits), so no pair of u8 x s8 products saturates the int16 "
                    "sums of VPMADDUBSW (AVX2 without VNNI): the integer products are the same on every CPU")

# The shared constants gmner.row_int8 writes, by name: its 1/127 row-scale factor and its two zero points.
_ROW_SCALE_FACTOR = ("rq_inv127", "rq_inv_levels")
_ROW_ZERO_POINTS = ("rq_zero_u8_1d", "rq_zero_u8")


def _set(init, array: np.ndarray) -> None:
    init.CopyFrom(numpy_helper.from_array(array, init.name))


def narrow_row_int8(model) -> int:
    """Rewrites a gmner.row_int8 graph's row quantisers to 7 bits (scale max|x| / 63, zero point 64), in place.
    Returns how many constants changed (0: already narrow)."""
    changed = 0
    for init in model.graph.initializer:
        value = numpy_helper.to_array(init)
        if init.name in _ROW_SCALE_FACTOR and (init.name != _ROW_SCALE_FACTOR[1] or not np.isclose(value, 1.0 / LEVELS)):
            # Renamed as gmner.row_int8 names it now, so a narrowed file is the file row_int8 writes today.
            for node in model.graph.node:
                node.input[:] = [_ROW_SCALE_FACTOR[1] if name == init.name else name for name in node.input]
            init.CopyFrom(numpy_helper.from_array(np.array(1.0 / LEVELS, np.float32), _ROW_SCALE_FACTOR[1]))
            changed += 1
        elif init.name in _ROW_ZERO_POINTS and np.any(value != ZERO_POINT):
            _set(init, np.full(value.shape, ZERO_POINT, np.uint8))
            changed += 1
    return changed


def narrow_qdq(model) -> int:
    """Maps every uint8 activation quantiser of a static QDQ graph (its scale and zero point, shared with the
    DequantizeLinear that reads it back) from codes 0..255 onto 0..127: the same float range, half the resolution.
    Weights (int8, DequantizeLinear only) are left alone. Returns how many quantisers changed."""
    inits = {i.name: i for i in model.graph.initializer}
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "QuantizeLinear" or len(node.input) < 3 or node.input[2] in done:
            continue
        scale, zero = inits.get(node.input[1]), inits.get(node.input[2])
        if scale is None or zero is None or zero.data_type != onnx.TensorProto.UINT8:
            continue
        z = numpy_helper.to_array(zero).astype(np.float64)
        s = numpy_helper.to_array(scale).astype(np.float64)
        # The range [(0 - z) s, (255 - z) s] kept, spread over 127 codes instead of 255.
        low, high = -z * s, (255.0 - z) * s
        s7 = (high - low) / MAX_CODE
        z7 = np.clip(np.round(-low / s7), 0, MAX_CODE)
        _set(scale, s7.astype(np.float32))
        _set(zero, z7.astype(np.uint8))
        done.add(node.input[2])
    return len(done)


def narrow_file(src: Path, out: Path) -> dict[str, int]:
    """`src` with 7-bit activations at `out` (may be `src`): written beside it, then renamed, so a failure leaves
    whatever was at `out` as it was."""
    model = onnx.load(str(src))
    counts = {"row_constants": narrow_row_int8(model), "qdq_quantisers": narrow_qdq(model)}
    onnx.checker.check_model(model)
    save_atomically(model, out)
    return counts


def narrow_model_dir(model_dir: Path) -> dict[str, int]:
    """Narrows a model folder's int8 file in place and records it in the manifest under a new version (outputs
    move by a rounding, so caches keyed by model version do not mix the two). Refuses a folder already narrow."""
    manifest_file = model_dir / "manifest.json"
    text = manifest_file.read_text(encoding="utf-8")
    manifest = json.loads(text)
    quantization = manifest.get("quantization") or {}
    if quantization.get("activation_bits") == 7:
        raise SystemExit(f"{model_dir}: activations are already 7-bit")
    int8 = model_dir / manifest["files"]["int8"]
    counts = narrow_file(int8, int8)
    if not any(counts.values()):
        raise SystemExit(f"{int8}: no uint8 activation quantiser found")
    before = str(quantization.get("activations", "uint8")).replace("zero point 128", f"zero point {ZERO_POINT}")
    manifest["quantization"] = {**quantization, "activations": f"{before}; {ACTIVATIONS_NOTE}", "activation_bits": 7,
                                "narrowed_from": manifest["version"]}
    manifest["version"] = f"{manifest['version']}-a7"
    lines = text.splitlines()
    indent = len(lines[1]) - len(lines[1].lstrip(" ")) if len(lines) > 1 else 1  # the file's own style
    manifest_file.write_text(json.dumps(manifest, indent=indent or 1, ensure_ascii=False) + "\n", encoding="utf-8")
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", action="append", required=True, help="a model folder to narrow in place (repeatable)")
    args = ap.parse_args(argv)
    for d in args.model_dir:
        print(d, narrow_model_dir(Path(d)))


if __name__ == "__main__":
    main()
