#!/usr/bin/env bash
# Retrains both models (stage-1 tagger, k-fold NONE examples, stage-2 typer,
# Trust-Your-Teacher students) and re-exports models/stage{1,2}/ (ONNX fp32 +
# int8, tokenizer, manifest).
#   scripts/train.sh [--data DIR] [--no-tyt] [--quick] [any gmner.train_all option]
# See training/README.md for what each flag does and expected durations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup-training.sh"
START=$(date +%s)
cd "$ROOT/training"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONHASHSEED=0
nice -n 5 "$ROOT/.venv-training/bin/python" -m gmner.train_all "$@"
END=$(date +%s)
echo "scripts/train.sh: total duration $((END - START))s ($(( (END - START) / 60 )) min)"
