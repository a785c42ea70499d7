#!/usr/bin/env bash
# Builds and runs every test: C++ (Catch2), CLI, Python, Java and C# (ctest labels).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
ctest --test-dir build --output-on-failure "$@"
