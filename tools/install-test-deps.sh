#!/usr/bin/env bash
# The pinned npm packages some tests drive (from the npm registry, versions fixed by each
# folder's package-lock.json): llama.cpp's prebuilt CPU build for the `oracle` tests and the
# official OpenAI client for the `server` tests. Needs npm (node 18 or later).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "npm is needed for the oracle and server tests (Debian: apt-get install npm)" >&2; exit 1; }
(cd tests/oracle && npm ci --omit=optional --ignore-scripts --no-audit --no-fund)
(cd tests/server && npm ci --ignore-scripts --no-audit --no-fund)
