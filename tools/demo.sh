#!/usr/bin/env bash
# Builds longheads and runs the demo on the models shipped in models/:
#  1. a short story from stories260K (greedy, matches llama.cpp token for token);
#  2. pass-key retrieval with the demo model (trained window T = 256 tokens): inside the window,
#     then at 32x T = 8192 tokens with full attention and with LongHeads, on the same prompts.
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
$lh passkey -m "$demo" --length 250 --trials 5 --seed 1 --attention full | tail -n 1
for mode in full longheads; do
  echo "== $demo: pass key at 32x the trained window (8192 tokens), $mode attention"
  $lh passkey -m "$demo" --length 8192 --trials 3 --seed 1 --attention "$mode" "$@"
done
