#!/usr/bin/env bash
# Installs everything ragd needs that is not a Go module. Idempotent: each
# step checks first and does nothing when its result is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. The offline embedding model (GloVe 6B 100-d), converted once.
bash scripts/setup-model.sh
