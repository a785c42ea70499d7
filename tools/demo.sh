#!/usr/bin/env bash
# Builds longheads and runs the demo on the models shipped in models/:
#  1. a short story from stories260K (greedy; matches llama.cpp token for token);
#  2. pass-key retrieval with the demo model (trained window T = 256 tokens): inside the window,
#     then at 32x T = 8192 tokens on the same prompts with full attention, LongHeads with its
#     default chunk score, and LongHeads with the paper's chunk score;
#  3. a word as the needle at 32x T, full attention and the LongHeads default.
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

# A word needle: the pass-key prompt of docs/longheads.md with a word of the training text as the
# key, about 8,160 tokens, the needle a third of the way in. The word is several vocabulary pieces,
# so the answer must be copied, not only found.
prompt=$(mktemp)
trap 'rm -f "$prompt"' EXIT
filler="The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
repeat_filler() { local i; printf '%s' "$filler"; for ((i = 1; i < $1; i++)); do printf ' %s' "$filler"; done; }
{
  echo "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there."
  repeat_filler 50; echo
  echo "The pass key is shepherd. Remember it. shepherd is the pass key."
  repeat_filler 110; echo
  printf 'What is the pass key? The pass key is'
} > "$prompt"
for mode in full longheads; do
  echo
  echo "== $demo: the word \"shepherd\" as the pass key at 32x the trained window, --attention $mode"
  # --json prints the generated text alone (as a JSON string: a newline shows as \n)
  $lh generate -m "$demo" -f "$prompt" -n 4 --temp 0 --attention "$mode" --json --no-progress --no-perf |
    sed -E 's/.*"text":("([^"\\]|\\.)*").*"prompt_tokens":([0-9]+).*/prompt: \3 tokens; answer: \1/'
done
