#!/usr/bin/env bash
# Prefill and decode speed of each x86 level (LONGHEADS_CPU forces a lower one), interleaved
# rounds, one model: the issue-17 per-level figures in docs/BENCHMARKS.md.
#   bash bench/cpu_levels.sh MODEL.gguf [ROUNDS] [LEVELS]   (e.g. a tinyllama q4_0 file from
#   tools/make-test-model/make_random_gguf.py --shape tinyllama --type q4_0;
#   LEVELS defaults to "avx512_bf16 avx512 avx2 generic")
# Each round starts at the next level of the list, so that no level always runs first or right
# after another; then one line per level with the medians of its rounds. decode_cpu_s (CPU seconds
# of the decode, all threads) moves less with other jobs on the machine than decode_tok_s does.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 rounds=${2:-2}
read -r -a levels <<< "${3:-avx512_bf16 avx512 avx2 generic}"
export OMP_WAIT_POLICY=PASSIVE
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=${#levels[@]}
for round in $(seq "$rounds"); do
  for i in $(seq 0 $((n - 1))); do
    level=${levels[$(((round - 1 + i) % n))]}
    line="round $round level $level $(LONGHEADS_CPU=$level build/bin/longheads bench -m "$model" --precision bf16 \
      -c 512 --gen 32 -t 2 --json --no-progress 2>/dev/null)"
    echo "$line" | tee -a "$log"
  done
done
/usr/bin/python3 - "$log" "${levels[@]}" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    words = line.split(" ", 4)
    try:
        runs.setdefault(words[3], []).append(json.loads(words[4]))
    except (IndexError, ValueError):
        pass  # a failed run: its line above says so
for level in sys.argv[2:]:
    r = runs.get(level, [])
    if not r:
        continue
    med = lambda key: statistics.median(x[key] for x in r)
    print(f"median of {len(r)}: {level:12s} prefill {med('prefill_tok_s'):7.1f} tok/s  decode {med('decode_tok_s'):6.2f} tok/s"
          f"  decode CPU {1000 * med('decode_cpu_s') / r[0]['gen']:6.1f} ms/token")
PY
