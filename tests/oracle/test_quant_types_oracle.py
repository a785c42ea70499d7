"""The low-bit tensor types (q2_K, q3_K, iq4_nl, iq4_xs) read as llama.cpp reads them, compared live.

Two random models per type (tools/make-test-model/make_random_gguf.py, shape `tiny256`: every row a
whole number of 256-element blocks, the Llama-2 vocabulary):
- `--embd-only`: only token_embd in the type, every other matrix f32. llama.cpp looks embedding rows
  up by dequantizing them exactly (no quantized activations), so the next-token distribution must
  match as closely as an f32 model's does: this tests our dequantizer against llama.cpp's alone.
- every matrix in the type: llama.cpp multiplies them with activations quantized to 8 bits (q8_K,
  or q8_0 for iq4_nl) while this engine multiplies the dequantized weights in f32, so the
  distributions agree only to the activations' rounding; the bound below allows for that, yet
  stays under what another type's weights give (figures at the bounds).
"""
import math
import subprocess
import sys

import pytest

from conftest import SHARED, require_file, run_oracle
from test_models_oracle import GEN, MODELS, ours

TYPES = ["q2_K", "q3_K", "iq4_nl", "iq4_xs"]
PROMPTS = [[1, 2, 3, 4, 5, 6, 7, 8], [100, 7, 2000, 31, 5, 5, 5, 9, 11, 300, 12, 13, 14, 15, 16, 17, 18, 19]]
GREEDY = 16
# Embeddings only: the weights dequantized on both sides, f32 products. Measured max |dp| 1e-8 to
# 7e-8, max |d log p| ~1.5e-5; comparing q2_K's model with q3_K's (other embeddings) gives 4.5e-3 / 6.1.
EXACT_DP, EXACT_DLOGP = 1e-6, 1e-3
# Every matrix: llama.cpp's 8-bit activations against our f32 ones. Measured max |dp| 1.9e-4 to
# 8.3e-4; another type's model gives 5.7e-3.
ACTIVATION_DP = 2e-3


def quant_model(wtype, embd_only, qwen3=False):
    MODELS.mkdir(parents=True, exist_ok=True)
    out = MODELS / f"{'qwen3-' if qwen3 else ''}tiny256-{wtype}{'-embd' if embd_only else ''}.gguf"
    if not out.exists():
        donor = "vocab/ggml-vocab-qwen2.gguf" if qwen3 else "llama-2-tiny-random.gguf"
        vocab = require_file(SHARED / "models" / donor, "vocabulary donor")
        args = [sys.executable, str(GEN), "--shape", "tiny256", "--type", wtype, "--std", "0.1", "--seed", "11",
                "--vocab-from", str(vocab), "--out", str(out)]
        if qwen3:  # Qwen3's head of 128 on a width of 256: Q and attn_output of 512
            args += ["--arch", "qwen3", "--head-dim", "128", "--freq-base", "1000000"]
        if embd_only:
            args.append("--embd-only")
        proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"generator failed: {proc.stderr[-2000:]}")
    return out


def compare(model, bound, need_greedy, dlogp_bound=None):
    expected = run_oracle("next", model, {"prompts": PROMPTS, "greedy": GREEDY, "ctx": 128})
    got = ours(model, PROMPTS, GREEDY)
    for e, g, prompt in zip(expected, got, PROMPTS):
        assert len(e["probs"]) == len(g["probs"])
        dp = max(abs(a - b) for a, b in zip(e["probs"], g["probs"]))
        dlogp = max(abs(math.log(max(a, 1e-30)) - math.log(max(b, 1e-30))) for a, b in zip(e["probs"], g["probs"]))
        top = sorted(e["probs"], reverse=True)[:2]
        print(f"{model.name}: prompt of {len(prompt)} tokens: max |dp| {dp:.2e}, max |d log p| {dlogp:.2e} "
              f"(top-1 p {top[0]:.3f}, margin "
              f"{top[0] - top[1]:.3f}); greedy {'equal' if e['greedy'] == g['greedy'] else 'DIFFERENT'}")
        assert dp <= bound
        if dlogp_bound is not None:
            assert dlogp <= dlogp_bound
        if need_greedy:
            assert g["greedy"] == e["greedy"]


@pytest.mark.parametrize("wtype", TYPES)
def test_embeddings_dequantize_as_llamacpp(wtype):
    compare(quant_model(wtype, True), EXACT_DP, True, EXACT_DLOGP)


@pytest.mark.parametrize("wtype", TYPES)
def test_all_matrices_in_type_match_llamacpp(wtype):
    compare(quant_model(wtype, False), ACTIVATION_DP, False)


@pytest.mark.parametrize("wtype", ["q4_K_M", "q8_0"])
def test_qwen3_quantized_matches_llamacpp(wtype):
    """Qwen3's per-head norms in a quantized file whose Q and output widths (512) differ from the
    model's (256); llama.cpp's 8-bit activations against our f32 products, as above (measured max
    |dp| 4e-8 to 9e-5; greedy continuations of these random models part where the top two tokens
    are closer than that rounding)."""
    compare(quant_model(wtype, False, qwen3=True), ACTIVATION_DP, False)
