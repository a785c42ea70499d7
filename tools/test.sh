#!/usr/bin/env bash
# Builds and runs every test: C++ (Catch2), CLI, Python, Java and C# (ctest labels).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
bash tools/install-test-deps.sh
# oneDNN's OpenMP threads must sleep when idle, or they starve the TBB attention workers.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
ctest --test-dir build --output-on-failure "$@"
