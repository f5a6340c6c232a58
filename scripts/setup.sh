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

# 4. weaviate-server for the Weaviate backend's integration and cluster
#    tests, built once from its Go module into .cache/bin (a few minutes the
#    first time). The version matches retrieval/weaviate/weaviatetest.Version.
WEAVIATE_VERSION=v1.35.2
if [ ! -x .cache/bin/weaviate-server ] || [ "$(cat .cache/bin/weaviate-server.version 2>/dev/null)" != "$WEAVIATE_VERSION" ]; then
	echo "building weaviate-server $WEAVIATE_VERSION into .cache/bin (once)"
	mkdir -p .cache/bin
	GOBIN="$PWD/.cache/bin" GOEXPERIMENT= GOFLAGS=-buildvcs=false nice go install "github.com/weaviate/weaviate/cmd/weaviate-server@$WEAVIATE_VERSION"
	echo "$WEAVIATE_VERSION" > .cache/bin/weaviate-server.version
fi
