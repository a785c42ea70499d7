#!/usr/bin/env bash
# Builds longheads and runs the demo on the model shipped in models/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh >/dev/null
build/bin/longheads generate -m models/stories260K.gguf -p "Once upon a time" -n 96 --temp 0
