"""Writing an ONNX file in place safely: the model is saved beside `out`, then renamed over it, so a failure
(disk full, an interrupted run) leaves whatever was at `out` as it was."""
from __future__ import annotations

import tempfile
from pathlib import Path

import onnx


def save_atomically(model, out: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False) as tmp:
        staged = Path(tmp.name)
    try:
        onnx.save(model, str(staged))
        staged.chmod(0o644)
        staged.replace(out)
    finally:
        staged.unlink(missing_ok=True)
