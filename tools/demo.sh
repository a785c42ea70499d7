#!/usr/bin/env bash
# Builds longheads and runs the demo on the models shipped in models/:
#  1. a short story from stories260K (greedy; matches llama.cpp token for token);
#  2. pass-key retrieval with the demo model (trained window T = 256 tokens): inside the window,
#     then at 32x T = 8192 tokens on the same prompts with full attention, LongHeads with the
#     paper's chunk score, and LongHeads with the opt-in best-key chunk score.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh >/dev/null
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
lh=build/bin/longheads
demo=models/longheads-demo.gguf

echo "== stories260K: greedy continuation"
$lh generate -m models/stories260K.gguf -p "Once upon a time" -n 64 --temp 0
echo
echo "== $demo: pass key inside the trained window (250 tokens), full attention"
$lh passkey -m "$demo" --length 250 --trials 3 --seed 1 --attention full
run() {
  echo
  echo "== $demo: pass key at 32x the trained window (8192 tokens), $1"
  shift
  $lh passkey -m "$demo" --length 8192 --trials 3 --seed 1 "$@"
}
run "full attention" --attention full
run "LongHeads (default chunk score: bound_mid)" --attention longheads
run "LongHeads, --chunk-score faithful (the paper's rule)" --attention longheads --chunk-score faithful
