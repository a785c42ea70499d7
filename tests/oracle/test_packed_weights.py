"""Quantized weights kept packed (bf16 precision, src/ops/qpacked.h) give the model the same next-token
distributions and greedy tokens as the same weights expanded to bf16 at load
(LONGHEADS_EXPAND_QUANTIZED=1), and stay as close to llama.cpp's as the expanded ones.

Random models (make_random_gguf.py, shape `tiny256` so that every K-quant and IQ4_XS row is whole
blocks of 256, the Llama-2 vocabulary) in each packed type and llama.cpp's Q4_K_M / Q5_K_M mixes. The prompt is
evaluated in one batch (prefill: packed slices expanded to bf16), then each greedy token alone
(decode: the int8 kernels with activations quantized per 32 or per 256). The packed products round
the activations to int8 where the expanded ones round the weights to bf16, so the two agree to those
roundings, not bit for bit. Greedy continuations of these random models are chaotic (near-ties,
and with peaked weights any rounding difference diverges them: expanded vs llama.cpp diverge too), so
they are printed, not asserted.

For the K-quant mixes, q2_K and iq4_xs the 8-token prompt takes the int8 kernels in every matrix,
with activations quantized per 256 as ggml's q8_K: the same arithmetic as llama.cpp's, and the
distributions agree to float rounding (measured max |dp| 4.5e-9 for q4_K_M, 2.0e-8 for q5_K_M,
1.3e-8 for q2_K, 1.9e-8 for iq4_xs; expanded weights: 3.8e-4, 6.2e-4, 2.4e-4). (iq4_nl and q3_K:
packed 1.3e-4 from llama.cpp, expanded 9.4e-5 and 2.3e-4, so not asserted as the same arithmetic.)
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

from conftest import SHARED, require_file, run_oracle, tool
from test_models_oracle import GEN, MODELS

TYPES = ["q4_0", "q8_0", "q6_K", "q4_K_M", "q5_K_M", "iq4_nl", "iq4_xs", "q2_K", "q3_K"]
PROMPTS = [[1, 2, 3, 4, 5, 6, 7, 8], [100, 7, 2000, 31, 5, 5, 5, 9, 11, 300, 12, 13, 14, 15, 16, 17, 18, 19]]
GREEDY = 16
MAX_DP = 2e-3          # packed vs expanded (measured 1.0e-4 to 4.4e-4), and each vs llama.cpp
SAME_ARITHMETIC_DP = 1e-6


def packed_model(wtype):
    MODELS.mkdir(parents=True, exist_ok=True)
    out = MODELS / f"tiny256-packed-{wtype}.gguf"
    if not out.exists():
        vocab = require_file(SHARED / "models" / "llama-2-tiny-random.gguf", "vocabulary donor")
        proc = subprocess.run([sys.executable, str(GEN), "--shape", "tiny256", "--type", wtype, "--std", "0.1",
                               "--seed", "5", "--vocab-from", str(vocab), "--out", str(out)],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"generator failed: {proc.stderr[-2000:]}")
    return out


def run_bf16(model, expand):
    env = dict(os.environ)
    env.pop("LONGHEADS_EXPAND_QUANTIZED", None)
    if expand:
        env["LONGHEADS_EXPAND_QUANTIZED"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = pathlib.Path(tmp) / "in.json", pathlib.Path(tmp) / "out.json"
        src.write_text(json.dumps({"prompts": PROMPTS, "greedy": GREEDY}))
        proc = subprocess.run([str(tool("model_next")), str(model), str(src), str(dst), "full", "0", "bf16"],
                              capture_output=True, text=True, timeout=900, env=env)
        if proc.returncode != 0:
            pytest.fail(f"model_next failed: {proc.stderr[-2000:]}")
        return json.loads(dst.read_text())


def max_dp(a, b):
    assert len(a) == len(b)
    return max(abs(x - y) for x, y in zip(a, b))


@pytest.mark.parametrize("wtype", TYPES)
def test_packed_weights_match_expanded_ones(wtype):
    model = packed_model(wtype)
    packed, expanded = run_bf16(model, False), run_bf16(model, True)
    oracle = run_oracle("next", model, {"prompts": PROMPTS, "greedy": GREEDY, "ctx": 128})
    for p, e, o, prompt in zip(packed, expanded, oracle, PROMPTS):
        dp, dp_packed, dp_expanded = max_dp(p["probs"], e["probs"]), max_dp(p["probs"], o["probs"]), \
            max_dp(e["probs"], o["probs"])
        print(f"{wtype}, prompt of {len(prompt)}: packed vs expanded max |dp| {dp:.2e}; vs llama.cpp: packed "
              f"{dp_packed:.2e}, expanded {dp_expanded:.2e}; greedy packed/expanded "
              f"{'equal' if p['greedy'] == e['greedy'] else 'DIFFERENT'}, packed/llama.cpp "
              f"{'equal' if p['greedy'] == o['greedy'] else 'DIFFERENT'}")
        assert dp <= MAX_DP
        assert dp_packed <= MAX_DP
        if (wtype.endswith("_K_M") or wtype in ("q2_K", "iq4_xs")) and len(prompt) <= 8:
            assert dp_packed <= SAME_ARITHMETIC_DP
