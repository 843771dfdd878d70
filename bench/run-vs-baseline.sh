#!/usr/bin/env bash
# `groundstream run` end to end, this tree against a baseline commit built in a
# temporary folder, side by side in one sitting (issue 25's table):
#
#   bash bench/run-vs-baseline.sh [--base ff24e20] [--rounds 2] [--posts 1500] [--batch-size 32] [--reposts 0.35]
#
# Streams: the Twitter-GMNER dev split when ../shared/data/twitter-gmner is
# there (read in place, written only to the temporary folder: its text is
# third-party), else the project-written tweet-like mix (bench/posts.ts).
# "unique" is that stream as it is; "mixed" replaces --reposts of its posts by
# exact repeats of an earlier post's text (retweets, copy-paste campaigns).
# Each round runs every tree on every stream, alternating, so both trees see
# the same machine; the table gives medians over rounds of the sustained rate
# that `run` prints (`posts indexed N (X posts/s; ...)`), their ratio, the
# entity documents written and the peak RSS of the run (GNU time).
# The baseline is built from `git archive` with this tree's node_modules
# linked when the two package-lock.json files are the same, else `npm ci`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=ff24e20
ROUNDS=2
POSTS=1500
BATCH=32
REPOSTS=0.35
while (( $# > 0 )); do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --posts) POSTS="$2"; shift 2 ;;
    --batch-size) BATCH="$2"; shift 2 ;;
    --reposts) REPOSTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench/run-vs-baseline.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "bench/run-vs-baseline.sh: needs GNU time at /usr/bin/time for peak RSS (apt-get install time)" >&2; exit 2; }
git -C "$ROOT" rev-parse --verify --quiet "$BASE^{commit}" > /dev/null || { echo "bench/run-vs-baseline.sh: $BASE is not a commit of $ROOT" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gs-run-vs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
say () { printf '==> %s\n' "$*" >&2; }

say "building this tree ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo ', with uncommitted changes'))"
(cd "$ROOT" && npm run build --silent)
say "building $BASE in $WORK/base"
mkdir -p "$WORK/base"
git -C "$ROOT" archive "$BASE" | tar -x -C "$WORK/base"
if cmp -s "$ROOT/package-lock.json" "$WORK/base/package-lock.json"; then
  ln -s "$ROOT/node_modules" "$WORK/base/node_modules"
else
  (cd "$WORK/base" && npm ci --no-audit --no-fund --ignore-scripts > /dev/null)
fi
(cd "$WORK/base" && npm run build --silent)   # the baseline's own build script

node "$ROOT/dist/bench/posts.js" --out "$WORK/unique.jsonl" --posts "$POSTS" >&2
node "$ROOT/dist/bench/posts.js" --out "$WORK/mixed.jsonl" --posts "$POSTS" --reposts "$REPOSTS" >&2

# One run: prints "<posts/s> <documents> <peak RSS KiB>".
run_once () {
  local tree="$1" stream="$2" log="$WORK/run.log"
  (cd "$tree" && /usr/bin/time -f 'peak-rss-kib %M' -o "$WORK/time.txt" \
    node dist/src/cli/main.js run --input "$WORK/$stream.jsonl" --output "$WORK/out.jsonl" \
    --dead-letters "$WORK/dead.jsonl" --batch-size "$BATCH" --no-progress > "$log" 2>&1) \
    || { cat "$log" >&2; echo "bench/run-vs-baseline.sh: run failed in $tree" >&2; exit 1; }
  local rate docs rss
  rate="$(sed -n 's/.*posts indexed *[0-9]* *(\([0-9.]*\) posts\/s.*/\1/p' "$log" | head -n 1)"
  docs="$(sed -n 's/.*entity documents *\([0-9]*\).*/\1/p' "$log" | head -n 1)"
  rss="$(sed -n 's/^peak-rss-kib \([0-9]*\)$/\1/p' "$WORK/time.txt")"
  [[ -n "$rate" ]] || { cat "$log" >&2; echo "bench/run-vs-baseline.sh: no 'posts indexed' line from $tree" >&2; exit 1; }
  echo "$rate ${docs:-?} ${rss:-0}"
}

declare -A RESULTS
say "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; $ROUNDS rounds, $POSTS posts per stream, batch $BATCH"
for (( round = 1; round <= ROUNDS; round++ )); do
  for stream in unique mixed; do
    for tree in base this; do
      dir="$ROOT"; [[ "$tree" == base ]] && dir="$WORK/base"
      result="$(run_once "$dir" "$stream")"
      say "round $round $stream $tree: $result (posts/s, documents, peak RSS KiB)"
      RESULTS[$stream.$tree]+="$result;"
    done
  done
done

# Medians over rounds, per column.
median () { tr ';' '\n' | sed '/^$/d' | awk -v c="$1" '{print $c}' | sort -g | awk '{v[NR]=$1} END {print (NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo
echo "groundstream run, $POSTS posts, batch $BATCH, medians of $ROUNDS rounds; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| stream | $BASE posts/s | this posts/s | ratio | documents ($BASE / this) | peak RSS MB ($BASE / this) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for stream in unique mixed; do
  b="${RESULTS[$stream.base]}"; t="${RESULTS[$stream.this]}"
  br="$(median 1 <<< "$b")"; tr_="$(median 1 <<< "$t")"
  ratio="$(awk -v a="$tr_" -v b="$br" 'BEGIN {printf "%.2f", a / b}')"
  bm="$(median 3 <<< "$b" | awk '{printf "%.0f", $1 / 1024}')"; tm="$(median 3 <<< "$t" | awk '{printf "%.0f", $1 / 1024}')"
  echo "| $stream | $br | $tr_ | ${ratio}x | $(median 2 <<< "$b") / $(median 2 <<< "$t") | $bm / $tm |"
done
