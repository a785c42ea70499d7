#!/usr/bin/env bash
# Regenerates bench/data/stories_long.txt: stories sampled from stories260K with fixed seeds, so
# the perplexity-by-length table has an in-distribution text longer than 16K tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/data/stories_long.txt
mkdir -p bench/data
: > "$out"
for seed in $(seq 1 80); do
  build/bin/longheads generate -m models/stories260K.gguf -p "Once upon a time" -n 400 \
    --temp 1.0 --top-k 0 --top-p 1.0 --min-p 0 --seed "$seed" --json --no-perf |
    /usr/bin/python3 -c 'import json,sys; print("Once upon a time" + json.load(sys.stdin)["text"].strip())' >> "$out"
  echo >> "$out"
done
wc -c "$out"
