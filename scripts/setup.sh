#!/usr/bin/env bash
# Installs everything ragd needs that is not a Go module. Idempotent: each
# step checks first and does nothing when its result is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. The offline embedding model (GloVe 6B 100-d), converted once.
bash scripts/setup-model.sh

# 2. Node packages for the end-to-end tests (playwright-core drives the
#    browser; openai is the official client used against ragd's /v1 API).
if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/openai ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
	(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

# 3. Headless Chromium for the browser tests, from Debian's packages.
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
