#!/usr/bin/env bash
# Configures and builds longheads into ./build (Release, all bindings whose toolchain exists).
# Debian's /usr/bin/python3 is used on purpose: it has numpy and pytest from Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 "$@"
cmake --build build -j"$(nproc)"
