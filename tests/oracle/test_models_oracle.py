"""Next-token distributions and greedy continuations equal llama.cpp's for random-weight models
of each supported architecture (f32 weights and KV cache, full attention), compared live; and the
architectures run under LongHeads far beyond their trained context.

Models come from tools/make-test-model/make_random_gguf.py (shape `tiny`, real vocabularies from
../shared/models/vocab as donors) and are written once into the build directory.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import pytest

from conftest import BUILD, REPO, SHARED, require_file, run_oracle, run_tool

GEN = REPO / "tools" / "make-test-model" / "make_random_gguf.py"
MODELS = BUILD / "oracle-models"

# name: (generator arguments, vocabulary donor)
ARCHS = {
    "llama3": (["--arch", "llama", "--rope-freqs", "--freq-base", "500000"], "vocab/ggml-vocab-llama-bpe.gguf"),
    "qwen2": (["--arch", "qwen2", "--freq-base", "1000000"], "vocab/ggml-vocab-qwen2.gguf"),
    "phi3": (["--arch", "phi3"], "vocab/ggml-vocab-phi-3.gguf"),
    # Qwen3: per-head Q/K norms, and (as at every Qwen3 size) heads x head_dim != n_embd.
    "qwen3": (["--arch", "qwen3", "--freq-base", "1000000", "--head-dim", "32"], "vocab/ggml-vocab-qwen2.gguf"),
    "llama-wide-heads": (["--arch", "llama", "--head-dim", "32"], "llama-2-tiny-random.gguf"),
    "llama-linear": (["--arch", "llama", "--rope-linear", "4"], "llama-2-tiny-random.gguf"),
    "mistral-style": (["--arch", "llama", "--freq-base", "1000000"], "llama-2-tiny-random.gguf"),
    # YaRN as Qwen's 128K files set it (factor 4 over an original window of T / 4), on NEOX and on
    # adjacent pairs.
    "qwen3-yarn": (["--arch", "qwen3", "--freq-base", "1000000", "--head-dim", "32", "--rope-yarn", "4",
                    "--yarn-orig", "32"], "vocab/ggml-vocab-qwen2.gguf"),
    "llama-yarn": (["--arch", "llama", "--rope-yarn", "4", "--yarn-orig", "32"], "llama-2-tiny-random.gguf"),
    # IBM Granite 3: llama with multipliers on the embeddings, the residual branches, the attention
    # logits and the output logits.
    "granite": (["--arch", "granite"], "llama-2-tiny-random.gguf"),
    # SmolLM3: llama whose every fourth layer has no RoPE (8 layers: layers 3 and 7 are NoPE).
    "smollm3": (["--arch", "smollm3", "--layers", "8", "--tied"], "vocab/ggml-vocab-llama-bpe.gguf"),
    # ERNIE 4.5 dense (llama's layout and RoPE pairs) and EXAONE 3.5 (llama's layout, NEOX RoPE,
    # Llama-3.1-style rope_freqs).
    "ernie4_5": (["--arch", "ernie4_5", "--tied"], "llama-2-tiny-random.gguf"),
    "exaone": (["--arch", "exaone", "--rope-freqs", "--freq-base", "1000000"], "vocab/ggml-vocab-llama-bpe.gguf"),
    # Ministral 3 (mistral3): YaRN with the file's betas and log multiplier, and a query temperature
    # that grows every 8 positions here (the original window), so the prompts cross it. Heads of 64
    # and betas 4 and 0.05 put YaRN's ramp over pairs 0-12 (the default betas: 0-1).
    "mistral3": (["--arch", "mistral3", "--head-dim", "64", "--rope-yarn", "4", "--yarn-orig", "8",
                  "--yarn-betas", "4,0.05", "--yarn-log-mul", "0.5", "--attn-temp", "0.3"],
                 "vocab/ggml-vocab-llama-bpe.gguf"),
    # Ministral 3's published settings (betas 32 and 1, log multiplier 1, temperature 0.1).
    "mistral3-defaults": (["--arch", "mistral3", "--freq-base", "1000000", "--rope-yarn", "16", "--yarn-orig", "8",
                           "--yarn-betas", "32,1", "--yarn-log-mul", "1", "--attn-temp", "0.1"],
                          "llama-2-tiny-random.gguf"),
    # Phi-4-mini rotates 96 of its 128 head dims, and its output is the embedding table.
    "phi3-partial-rotary": (["--arch", "phi3", "--rope-dims", "12", "--tied"], "vocab/ggml-vocab-phi-3.gguf"),
}
# Phi-3.5 / Phi-4-mini style LongRoPE: T = 1024 with an original window of 256. llama.cpp rounds a
# context up to a multiple of 256 and takes the long factors past the original window, so n_ctx 128
# runs the short factors and 512 the long ones (test_longrope_factors_follow_the_context_size).
LONGROPE = (["--arch", "phi3", "--rope-dims", "12", "--ctx", "1024", "--longrope", "256"], "vocab/ggml-vocab-phi-3.gguf")
PROMPTS = [[1, 2, 3, 4, 5, 6, 7, 8], [100, 7, 2000, 31, 5, 5, 5, 9, 11, 300, 12, 13, 14, 15, 16, 17, 18, 19]]
GREEDY = 32
MAX_DP = 1e-3


def model_path(name, wtype="f32", std=0.25):
    args, donor = ARCHS[name] if name in ARCHS else {"phi3-longrope": LONGROPE}[name]
    MODELS.mkdir(parents=True, exist_ok=True)
    out = MODELS / f"{name}-{wtype}.gguf"
    if not out.exists():
        vocab = require_file(SHARED / "models" / donor, "vocabulary donor")
        proc = subprocess.run([sys.executable, str(GEN), "--shape", "tiny", "--type", wtype, "--std", str(std),
                               "--seed", "7", "--vocab-from", str(vocab), "--out", str(out), *args],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"generator failed: {proc.stderr[-2000:]}")
    return out


def ours(model, prompts, greedy, mode="full", n_ctx=0):
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = pathlib.Path(tmp) / "in.json", pathlib.Path(tmp) / "out.json"
        src.write_text(json.dumps({"prompts": prompts, "greedy": greedy}))
        run_tool("model_next", model, src, dst, mode, n_ctx)
        return json.loads(dst.read_text())


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_distribution_and_greedy_equal_llamacpp(name):
    model = model_path(name)
    expected = run_oracle("next", model, {"prompts": PROMPTS, "greedy": GREEDY, "ctx": 128})
    got = ours(model, PROMPTS, GREEDY)
    for e, g, prompt in zip(expected, got, PROMPTS):
        dp = max(abs(a - b) for a, b in zip(e["probs"], g["probs"]))
        top = sorted(e["probs"], reverse=True)[:2]
        print(f"{name}: prompt of {len(prompt)} tokens: max |dp| {dp:.2e} (top-1 p {top[0]:.3f}, "
              f"margin {top[0] - top[1]:.3f}); greedy {'equal' if e['greedy'] == g['greedy'] else 'DIFFERENT'}")
        assert len(e["probs"]) == len(g["probs"])
        assert dp <= MAX_DP
        assert g["greedy"] == e["greedy"]


def test_longrope_factors_follow_the_context_size():
    """A LongRoPE file equals llama.cpp with the short factors (n_ctx 128) and with the long ones and
    the attention factor (n_ctx 512); the two give different distributions, so the choice is seen."""
    model = model_path("phi3-longrope")
    by_ctx = {}
    for n_ctx in (128, 512):
        expected = run_oracle("next", model, {"prompts": PROMPTS, "greedy": GREEDY, "ctx": n_ctx})
        got = ours(model, PROMPTS, GREEDY, "full", n_ctx)
        for e, g, prompt in zip(expected, got, PROMPTS):
            dp = max(abs(a - b) for a, b in zip(e["probs"], g["probs"]))
            print(f"longrope n_ctx {n_ctx}: prompt of {len(prompt)} tokens: max |dp| {dp:.2e}; greedy "
                  f"{'equal' if e['greedy'] == g['greedy'] else 'DIFFERENT'}")
            assert dp <= MAX_DP
            assert g["greedy"] == e["greedy"]
        by_ctx[n_ctx] = got
    apart = max(abs(a - b) for a, b in zip(by_ctx[128][1]["probs"], by_ctx[512][1]["probs"]))
    print(f"short vs long factors: max |dp| {apart:.2e}")
    assert apart > 10 * MAX_DP


@pytest.mark.parametrize("name", ["llama3", "qwen2", "qwen3", "phi3", "granite", "smollm3", "ernie4_5", "exaone",
                                  "mistral3"])
def test_longheads_generates_at_8x_trained_context(name):
    """A prompt of 8 x T = 1024 tokens under LongHeads: evaluates, and greedy decoding continues
    with finite logits (model_next fails on any non-finite one)."""
    model = model_path(name)
    prompt = [(i * 7919) % 20000 + 3 for i in range(8 * 128)]
    got = ours(model, [prompt], 16, "longheads", 8 * 128 + 32)
    assert len(got[0]["greedy"]) == 16
    assert abs(sum(got[0]["probs"]) - 1.0) < 1e-3
