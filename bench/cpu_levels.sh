#!/usr/bin/env bash
# Prefill and decode speed of each x86 level (LONGHEADS_CPU forces a lower one), interleaved
# rounds, one model: the issue-17 per-level figures in docs/BENCHMARKS.md.
#   bash bench/cpu_levels.sh MODEL.gguf [ROUNDS]   (e.g. a tinyllama q4_0 file from
#   tools/make-test-model/make_random_gguf.py --shape tinyllama --type q4_0)
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 rounds=${2:-2}
export OMP_WAIT_POLICY=PASSIVE
for round in $(seq "$rounds"); do
  for level in avx512_bf16 avx512 avx2 generic; do
    echo "round $round level $level $(LONGHEADS_CPU=$level build/bin/longheads bench -m "$model" --precision bf16 \
      -c 512 --gen 32 -t 2 --json --no-progress 2>/dev/null)"
  done
done
