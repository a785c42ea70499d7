"""The defaults a new user gets (issue 12, "long context by default"): without options a prompt
longer than the trained window works, LongHeads gives full attention's numbers below B, and a
quantized file stays quantized (precision auto)."""

import pathlib
import subprocess
import sys

import pytest

import longheads

REPO = pathlib.Path(__file__).resolve().parents[2]
GENERATOR = REPO / "tools" / "make-test-model" / "make_random_gguf.py"

# A story of ~4x stories260K's trained window (512 tokens) once tokenized.
LONG_TEXT = " ".join("Once upon a time, a little girl named Lily went to the park with her mom." for _ in range(120))


def test_context_defaults_read_past_the_trained_window(model):
    T = model.n_ctx_train
    with model.context() as ctx:
        assert ctx.params["attention"] == longheads.Attention.LONGHEADS
        assert ctx.n_ctx == 32 * T  # the KV cache of stories260K is tiny next to half the memory
        ids = model.tokenize(LONG_TEXT)
        assert len(ids) > 3 * T
        ctx.eval(ids)
        assert ctx.n_past == len(ids)
    with model.context(attention="full") as ctx:
        assert ctx.n_ctx == T


def test_default_chunk_score_and_local_chunks(model):
    # stories260K: T = 512, w = 32, L = 3T/4 = 384, so K = 12 chunks per head.
    with model.context() as ctx:
        assert ctx.params["chunk_score"] == longheads.ChunkScore.BOUND_MID
        assert ctx.params["local_chunks"] == 4  # key-based score and K >= 8
    with model.context(chunk_score="faithful") as ctx:
        assert ctx.params["local_chunks"] == 2  # the paper's previous and current chunk
    with model.context(chunk_score="bound", attn_len=128) as ctx:
        assert ctx.params["local_chunks"] == 2  # K = 4: too few chunks to keep 4
    with model.context(chunk_score="bound", local_chunks=3) as ctx:
        assert ctx.params["local_chunks"] == 3


def test_generate_without_options_reads_a_long_prompt(model):
    text = model.generate(LONG_TEXT, max_tokens=4, temperature=0)
    assert isinstance(text, str) and len(model.tokenize(text, add_bos=False)) >= 1


def test_cli_generate_without_flags_reads_a_long_prompt(cli, model_path, tmp_path):
    prompt = tmp_path / "long.txt"
    prompt.write_text(LONG_TEXT, encoding="utf-8")
    out = cli("generate", "-m", model_path, "-f", prompt, "-n", 4, "--temp", 0)
    assert out["prompt_tokens"] > 3 * 512
    assert len(out["tokens"]) == 4


def test_default_attention_equals_full_below_begin(model):
    ids = model.tokenize(LONG_TEXT)[:200]  # B = L = 3T/4 = 384
    with model.context() as lh, model.context(attention="full") as full:
        lh.eval(ids)
        full.eval(ids)
        a, b = lh.logits(), full.logits()
        # the same sums, with keys rotated at chunk-local instead of true positions
        assert max(abs(float(x) - float(y)) for x, y in zip(a, b)) < 1e-4


def _random_model(tmp_path, wtype, *extra):
    out = tmp_path / "tiny-{}.gguf".format(wtype)
    subprocess.run([sys.executable, str(GENERATOR), "--shape", "tiny", "--type", wtype, "--seed", "5",
                    "--out", str(out)] + list(extra), check=True, capture_output=True, timeout=300)
    return str(out)


def test_precision_auto_keeps_quantized_files_quantized(tmp_path, model):
    path = _random_model(tmp_path, "q4_0")
    with longheads.Model(path) as auto, longheads.Model(path, precision="f32") as exact:
        assert auto.info.precision == longheads.Precision.BF16
        assert exact.info.precision == longheads.Precision.F32
        assert auto.info.weight_bytes * 3 < exact.info.weight_bytes
    assert model.info.precision == longheads.Precision.F32  # stories260K: all float32
