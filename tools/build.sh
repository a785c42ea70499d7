#!/usr/bin/env bash
# Configures and builds longheads into ./build (Release, with the Python, Java and C# bindings).
# Debian's /usr/bin/python3 is used on purpose: it has numpy and pytest from Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
# All three bindings are required here, so a missing toolchain fails loudly instead of
# silently skipping that language's tests.
# LONGHEADS_NATIVE=OFF explicitly: a build tree configured before it became the default keeps ON.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DLONGHEADS_PYTHON=ON -DLONGHEADS_JAVA=ON -DLONGHEADS_CSHARP=ON -DLONGHEADS_NATIVE=OFF "$@"
cmake --build build -j"$(nproc)"
