#!/usr/bin/env bash
# Writes the text models of an earlier commit into a folder, so benchmarks can
# measure today's models against them side by side (bench:text --baseline DIR).
#   scripts/baseline-models.sh [COMMIT] [DIR]
# Defaults: f5f8373 (the last release with dynamic int8) into .cache/baseline-models.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMIT="${1:-f5f8373}"
DIR="${2:-$ROOT/.cache/baseline-models}"
cd "$ROOT"
for stage in stage1 stage2; do
  mkdir -p "$DIR/$stage"
  for file in manifest.json model.int8.onnx tokenizer.json tokenizer_config.json; do
    git show "$COMMIT:models/$stage/$file" > "$DIR/$stage/$file"
  done
done
echo "models of $COMMIT in $DIR"
