#!/usr/bin/env bash
# The whole test suite (`npm test`, and CI through .ci/run):
#   1. install npm dependencies when missing or stale
#   2. build (tsc) and lint (eslint), failing on any error
#   3. install the operator tools the deploy/observability tests use
#   4. start Kafka, Elasticsearch and Redis with scripts/services.sh (the ones
#      this script started are stopped again on exit, whatever happens)
#   5. run every TypeScript test file: node --test dist/test/**/*.test.js (only
#      test files: helper modules under test/ are neither run nor counted)
#   6. run the training tests with the training venv's pytest when it exists
# Exits non-zero if any step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ONNXRUNTIME_NODE_INSTALL=skip

step () { printf '\n==> %s\n' "$*"; }

step "dependencies"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
else
  echo "node_modules up to date"
fi

step "build"
# A fresh tree in CI; locally other people may be running tests from dist/.
if [[ "${CI:-}" == true ]]; then rm -rf dist; fi
npx tsc -p tsconfig.json

step "lint"
# Local virtual environments (ignored by git) hold third-party JS that is not ours to lint.
npx eslint . --ignore-pattern '.venv*/'

step "operator tools"
# promtool, chromium, docker-compose and kubernetes-validate for the API,
# deploy and observability tests; idempotent, quick once installed.
if [[ -f scripts/setup-ops-tools.sh ]]; then
  bash scripts/setup-ops-tools.sh
fi

step "services"
started=()
cleanup () {
  local rc=$?
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
shopt -s globstar nullglob
test_files=(dist/test/**/*.test.js)
shopt -u globstar nullglob
if (( ${#test_files[@]} == 0 )); then echo "no test files under dist/test" >&2; exit 1; fi
node --test --test-concurrency=1 "${test_files[@]}" || node_rc=$?

step "training environment"
# CI runs the Python training tests too; a fresh machine gets the environment
# from PyPI here. Locally it is created by scripts/setup-training.sh when wanted.
if [[ "${CI:-}" == true ]]; then
  bash scripts/setup-training.sh
fi

step "training tests"
py_rc=0
if [[ -x .venv-training/bin/python ]]; then
  .venv-training/bin/python -m pytest -q training/tests || py_rc=$?
  # pytest exits 5 when it collected nothing; that is not a failure of the suite.
  if (( py_rc == 5 )); then py_rc=0; fi
else
  echo "skipped: .venv-training not found (scripts/setup-training.sh creates it)"
fi

if (( node_rc != 0 || py_rc != 0 )); then
  echo "FAILED: TypeScript tests rc=$node_rc, training tests rc=$py_rc" >&2
  exit 1
fi
echo "all tests passed"
