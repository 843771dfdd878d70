#!/usr/bin/env bash
# The whole test suite (`npm test`, and CI through .ci/run):
#   1. install npm dependencies when missing or stale; in CI, create the
#      training venv too (scripts/setup-training.sh), so step 3 can lint Python
#   2. build (scripts/build.mjs: tsc -b tsconfig.build.json, incremental; the CLI
#      tests run dist/src/cli/main.js)
#   3. lint: typecheck everything, tests included (tsc -p tsconfig.json
#      --noEmit), eslint, and ruff over training/ when the venv has it
#   4. install the operator tools the deploy/observability tests use
#   5. start Kafka, Elasticsearch and Redis with scripts/services.sh (the ones
#      this script started are stopped again on exit, whatever happens)
#   6. run the TypeScript tests with vitest (vitest.config.ts: test/**/*.test.ts
#      from source, one file at a time; helper modules are neither run nor counted)
#   7. run the training tests with the training venv's pytest when it exists
#   8. print the counts of both, ending with one line `N passed, N failed, N skipped`
# Exits non-zero if any step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ONNXRUNTIME_NODE_INSTALL=skip

step () { printf '\n==> %s\n' "$*"; }

step "dependencies"
# Said first so that a run that later fails for want of space shows why
# (the training environment alone takes about 6 GB).
echo "disk: $(df -h --output=avail "$ROOT" | tail -n 1 | tr -d ' ') free under $ROOT"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
else
  echo "node_modules up to date"
fi

step "training environment"
# CI runs the Python lint and tests too; a fresh machine gets the environment
# from PyPI here, before the lint step needs ruff. Locally it is created by
# scripts/setup-training.sh when wanted.
if [[ "${CI:-}" == true ]]; then
  bash scripts/setup-training.sh
fi

step "build"
# A fresh tree in CI; locally other people may be running the CLI from dist/.
if [[ "${CI:-}" == true ]]; then rm -rf dist; fi
node scripts/build.mjs

step "lint"
npx tsc -p tsconfig.json --noEmit
# Local virtual environments (ignored by git) hold third-party JS that is not ours to lint.
npx eslint . --ignore-pattern '.venv*/'
if [[ -x .venv-training/bin/ruff ]]; then
  (cd training && ../.venv-training/bin/ruff check .)
elif [[ "${CI:-}" == true ]]; then
  echo "ruff not found in .venv-training although scripts/setup-training.sh ran" >&2
  exit 1
else
  echo "ruff: skipped, not installed in .venv-training (bash scripts/setup-training.sh installs it)"
fi

step "operator tools"
# promtool, chromium, docker-compose and kubernetes-validate for the API,
# deploy and observability tests; idempotent, quick once installed.
if [[ -f scripts/setup-ops-tools.sh ]]; then
  bash scripts/setup-ops-tools.sh
fi

step "services"
started=()
report_dir="$(mktemp -d)"
cleanup () {
  local rc=$?
  rm -rf "$report_dir"
  if (( ${#started[@]} > 0 )); then
    step "stopping services started for this run: ${started[*]}"
    for (( i=${#started[@]}-1; i>=0; i-- )); do
      bash scripts/services.sh stop "${started[$i]}" || true
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for service in redis kafka elasticsearch; do
  if bash scripts/services.sh status "$service" >/dev/null 2>&1; then
    echo "$service: already running, reused"
  else
    started+=("$service")
    bash scripts/services.sh start "$service" >/dev/null
  fi
done
eval "$(bash scripts/services.sh env)"
echo "KAFKA_BROKERS=$KAFKA_BROKERS ELASTICSEARCH_URL=$ELASTICSEARCH_URL REDIS_URL=$REDIS_URL"

step "TypeScript tests"
node_rc=0
# The summary reporter (test/support/summary-reporter.ts) writes the counts here.
GS_TEST_SUMMARY_FILE="$report_dir/vitest.json" npx vitest run || node_rc=$?

step "training tests"
py_rc=0
if [[ -x .venv-training/bin/python ]]; then
  .venv-training/bin/python -m pytest -q training/tests 2>&1 | tee "$report_dir/pytest.log" || py_rc=${PIPESTATUS[0]}
  # pytest exits 5 when it collected nothing; that is not a failure of the suite.
  if (( py_rc == 5 )); then py_rc=0; fi
else
  echo "skipped: .venv-training not found (scripts/setup-training.sh creates it)"
fi

step "summary"
# vitest's counts come from its summary reporter, pytest's from its closing
# line ("1 failed, 40 passed, 1 skipped in 9.12s"; errors count as failures).
read -r ts_passed ts_failed ts_skipped < <(node -e '
  try { const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.passed, s.failed, s.skipped) }
  catch { console.log(0, 0, 0) }' "$report_dir/vitest.json")
pytest_last="$(tail -n 1 "$report_dir/pytest.log" 2>/dev/null || true)"
pytest_count () { local n; n="$(grep -Eo "[0-9]+ $1" <<<"$pytest_last" | head -n 1 | cut -d' ' -f1 || true)"; echo "${n:-0}"; }
py_passed=$(pytest_count passed)
py_failed=$(( $(pytest_count failed) + $(pytest_count 'errors?') ))
py_skipped=$(pytest_count skipped)
# A runner that failed without counting a failure (it stopped early) still counts as one.
if (( node_rc != 0 && ts_failed == 0 )); then ts_failed=1; fi
if (( py_rc != 0 && py_failed == 0 )); then py_failed=1; fi
echo "TypeScript (vitest): $ts_passed passed, $ts_failed failed, $ts_skipped skipped"
echo "training (pytest): $py_passed passed, $py_failed failed, $py_skipped skipped"
if (( node_rc != 0 || py_rc != 0 )); then echo "FAILED: TypeScript tests rc=$node_rc, training tests rc=$py_rc"; fi
echo "$(( ts_passed + py_passed )) passed, $(( ts_failed + py_failed )) failed, $(( ts_skipped + py_skipped )) skipped"
if (( node_rc != 0 || py_rc != 0 )); then exit 1; fi
