#!/usr/bin/env bash
# Installs the operator tools the API/deploy/observability tests need, when
# missing: promtool (Debian `prometheus`), Chromium (Debian `chromium`, driven
# by playwright-core for the viewer tests), docker-compose (offline
# validation of deploy/compose.yaml), and kubernetes-validate from PyPI in
# .cache/ops-venv (strict schema validation of the Kubernetes manifests).
# Idempotent; the apt part runs as root (CI) or with sudo.
#
#   bash scripts/setup-ops-tools.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBERNETES_VALIDATE_VERSION=1.37.0
OPS_VENV="$ROOT/.cache/ops-venv"

if [[ ! -x "$OPS_VENV/bin/kubernetes-validate" ]]; then
  echo "[ops-tools] installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $OPS_VENV" >&2
  python3 -m venv "$OPS_VENV"
  "$OPS_VENV/bin/pip" install -q --no-cache-dir --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)

if [[ ${#need[@]} -eq 0 ]]; then
  echo "[ops-tools] promtool, chromium and docker-compose already installed" >&2
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "[ops-tools] need root to install: ${need[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi

echo "[ops-tools] installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The Debian prometheus package starts a daemon on install where an init
# system runs; tests only use promtool, so keep services from starting.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The downloaded .deb files are not needed once installed (Chromium's alone are
# a few hundred MB); CI disks are small.
"${SUDO[@]}" apt-get clean
command -v promtool >/dev/null && command -v chromium >/dev/null && command -v docker-compose >/dev/null
echo "[ops-tools] installed: ${need[*]}" >&2
