#!/usr/bin/env bash
# Fits stage 2's link prior (src/stages/link-prior.ts) for the models in
# --models and writes <models>/stage2/link-prior.json:
#   1. gmner.ext_layout: GermEval 2014 and MultiCoNER v1 (de, en, es, nl, tr)
#      in the Twitter-GMNER layout (<work>/ext)
#   2. `groundstream eval --dump-candidates` over the Twitter-GMNER train and
#      dev splits and each of those corpora: stage 2's probabilities, the
#      knowledge cache's link evidence and the gold label of every candidate
#      (<work>/dumps; third-party text, kept out of the repository)
#   3. gmner.link_prior: evidence weights shared by all corpora, each with
#      its own calibration; Twitter-GMNER's is not shipped (--calibration
#      identity), so with no evidence the prompt model's probabilities pass
#      through unchanged
#
#   scripts/fit-link-prior.sh [--data DIR] [--ext-dir DIR] [--models DIR] [--work DIR] [--l2 X]
#
# Takes about 10 minutes on 2 cores. Finished dumps are reused when run again
# with the same --work; the prior file is replaced only when the fit finished.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/../shared/data/twitter-gmner"
EXT="$ROOT/../shared/data/ext-ner"
MODELS="$ROOT/models"
WORK="$ROOT/training/runs/link-prior"
L2=0.001
while (( $# > 0 )); do
  case "$1" in
    --data) DATA="$(realpath "$2")"; shift 2 ;;
    --ext-dir) EXT="$(realpath "$2")"; shift 2 ;;
    --models) MODELS="$(realpath "$2")"; shift 2 ;;
    --work) WORK="$(realpath -m "$2")"; shift 2 ;;
    --l2) L2="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "scripts/fit-link-prior.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f "$DATA/train.txt" && -f "$DATA/dev.txt" ]] || { echo "scripts/fit-link-prior.sh: no Twitter-GMNER train/dev at $DATA (pass --data DIR)" >&2; exit 2; }
[[ -d "$EXT/germeval2014" && -d "$EXT/multiconer" ]] || { echo "scripts/fit-link-prior.sh: no GermEval 2014 / MultiCoNER under $EXT (pass --ext-dir DIR)" >&2; exit 2; }
[[ -f "$MODELS/stage2/manifest.json" ]] || { echo "scripts/fit-link-prior.sh: no stage-2 model in $MODELS" >&2; exit 2; }
PY="$ROOT/.venv-training/bin/python"
[[ -x "$PY" ]] || "$ROOT/scripts/setup-training.sh"
step () { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

(cd "$ROOT" && npx tsc -p tsconfig.build.json)
mkdir -p "$WORK/dumps"
step "1/3 other corpora in the Twitter-GMNER layout -> $WORK/ext"
[[ -f "$WORK/ext/mc-tr/train.txt" ]] || (cd "$ROOT/training" && "$PY" -m gmner ext-layout --ext-dir "$EXT" --out "$WORK/ext")

dump () { # name data-dir split
  local out="$WORK/dumps/$1.jsonl"
  if [[ -f "$out" ]]; then return; fi
  step "2/3 candidates of $1"
  node "$ROOT/dist/src/cli/main.js" eval --models "$MODELS" --data "$2" --split "$3" \
    --dump-candidates "$out.partial" --report "$WORK/dumps/$1-report.json" >/dev/null
  mv "$out.partial" "$out"
}
dump gmner-train "$DATA" train
dump gmner-dev "$DATA" dev
EXTRA=()
for corpus in germeval mc-de mc-en mc-es mc-nl mc-tr; do
  dump "$corpus" "$WORK/ext/$corpus" train
  EXTRA+=("$WORK/dumps/$corpus.jsonl")
done

step "3/3 fitting -> $MODELS/stage2/link-prior.json"
(cd "$ROOT/training" && "$PY" -m gmner link-prior --train "$WORK/dumps/gmner-train.jsonl" --extra "${EXTRA[@]}" \
  --dev "$WORK/dumps/gmner-dev.jsonl" --calibration identity --l2 "$L2" --out "$MODELS/stage2/link-prior.json.new")
mv "$MODELS/stage2/link-prior.json.new" "$MODELS/stage2/link-prior.json"
