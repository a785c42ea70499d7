#!/usr/bin/python3
"""Writes a random-weight Llama GGUF (v3, alignment 32) of a real model's shape, for speed and memory
measurements without downloading a model.

  /usr/bin/python3 tools/make-test-model/make_random_gguf.py [--shape tinyllama|small|mha|tiny]
        [--type f16|bf16|q8_0|q4_0|q5_0|q5_1|q6_K|q4_K_M|q5_K_M|q2_K|q3_K|iq4_nl|iq4_xs|f32] [--embd-only] [--out build/models/] [--seed 1234] [--layers N] [--ctx T]
        [--arch llama|qwen2|qwen3|phi3|granite|smollm3|ernie4_5|exaone|mistral3] [--vocab-from DONOR.gguf] [--rope-freqs] [--rope-linear FACTOR]
        [--freq-base B] [--std S] [--head-dim D] [--rope-dims N] [--longrope ORIGINAL_T] [--rope-yarn F --yarn-orig ORIGINAL_T] [--chat-template FILE]

Shapes (`--layers` / `--ctx` override the layer count / trained context):
  tinyllama  TinyLlama-1.1B: n_embd 2048, 22 layers, 32 query / 4 KV heads (head 64), FFN 5632, T 2048
  small      n_embd 512, 4 layers, 8 query / 4 KV heads (head 64), FFN 1408, T 2048
  mha        Llama-2-7B's layer (n_embd 4096, 32 query = 32 KV heads of 128, FFN 11008), 4 layers, T 4096
  tiny       n_embd 64, 2 layers, 4 query / 2 KV heads (head 16), FFN 128, T 128: oracle tests
  tiny256    n_embd 256, 2 layers, 4 query / 2 KV heads (head 64), FFN 512, T 128: oracle tests of the
             256-element block types (every row a whole number of blocks)
  qwen3-0.6b Qwen3-0.6B: n_embd 1024, 28 layers, 16 query / 8 KV heads of 128, FFN 3072, T 40960, arch
             qwen3, freq base 1e6, tied output (no output.weight), Qwen2's vocabulary (151,936 tokens)

Architectures (llama.cpp's tensor layouts):
  llama      attn_q/k/v, ffn_gate/up; adjacent-pair RoPE. --rope-freqs adds Llama-3.1's rope_freqs.weight
             (factors from its formula: factor 8, low/high frequency factors 1/4, original context = T).
  qwen2      llama's tensors plus attn_q/k/v.bias; NEOX RoPE.
  qwen3      llama's tensors plus attn_q_norm/attn_k_norm (one RMS-norm weight vector per head dimension,
             random around 1 so that a library that skips them is caught); NEOX RoPE.
  phi3       fused attn_qkv (Q, K, V rows) and ffn_up of 2 x FFN rows (gate, then up), no ffn_gate; NEOX RoPE.
  granite    llama's tensors and RoPE, plus Granite's four multipliers (embedding 4, residual 0.5,
             attention 0.2, logits divided by 3: far from 1 so that a library that skips one is caught).
  smollm3    llama's tensors and RoPE, except that every fourth layer (3, 7, ...) applies no RoPE
             (llama.cpp fixes the step at 4; the file has no key for it): give it --layers 4 or more.
  ernie4_5   ERNIE 4.5 dense: llama's tensors and RoPE pairs.
  exaone     EXAONE 3.x: llama's tensors, NEOX RoPE (with --rope-freqs: EXAONE 3.5's rope_freqs.weight).
  mistral3   Ministral 3: llama's tensors and RoPE pairs; --attn-temp S writes attention.temperature_scale
             (queries times log(floor(pos / original window) + 1) S + 1), --yarn-betas F,S and
             --yarn-log-mul M the YaRN keys llama.cpp reads for it.
--rope-linear F writes <arch>.rope.scaling.type = linear with factor F; --rope-yarn F type yarn with factor
F and, with --yarn-orig, rope.scaling.original_context_length (as Qwen's 128K GGUFs). --longrope ORIGINAL_T writes
Phi-3's LongRoPE as its converter does: rope_factors_long.weight and rope_factors_short.weight (n_rot/2
divisors each, long ones rising to 40, short ones to 1.5), rope.scaling.original_context_length and
rope.scaling.attn_factor = sqrt(1 + ln(T / ORIGINAL_T) / ln(ORIGINAL_T)). --rope-dims N rotates only the
first N dims of each head (rope.dimension_count; Phi-4-mini rotates 96 of 128). --head-dim D sets the head
dimension (attention.key_length / value_length) to D instead of n_embd / heads, as Qwen3 (128 at
every size) and Mistral-Nemo do: Q holds heads x D rows and attn_output as many columns.

Vocabulary: every tokenizer.* key is copied from ../shared/models/llama-2-tiny-random.gguf (the Llama-2
SentencePiece vocabulary, 32000 tokens; `--vocab-from` to use another donor); `--chat-template FILE`
sets tokenizer.chat_template to the file's text. Weights: normal with
std 0.02 (so activations stay in a sane range), norms 1; each tensor has its own generator seeded from
(seed, tensor index), so the types of a shape hold the same weights up to rounding. Norms are F32;
every matrix (token_embd and output included) is in --type, except for q4_K_M / q5_K_M, which are
llama.cpp's mixes of those names (q4_K or q5_K for most matrices, q6_K for the output and for attn_v
and ffn_down in the layers llama.cpp gives more bits: matrix_type below). A K-quant matrix whose rows
are not a multiple of 256 gets llama.cpp's fallback type (q5_0, q5_1, q8_0 for q4_K, q5_K, q6_K; iq4_nl
for q2_K, q3_K, iq4_xs). --embd-only keeps only token_embd in --type and writes the other matrices f32:
its rows are looked up, not multiplied, so llama.cpp reads them exactly as dequantized (no
quantized activations), which tests a dequantizer against llama.cpp's alone.
Tensors are generated and written in slices of rows, so memory stays around a hundred MB whatever the
model size.

Encoders follow ggml's reference quantizers (quantize_row_q8_0_ref / quantize_row_q4_0_ref):
  Q8_0: per 32 elements d = max|x| / 127 (stored as f16), q = round(x / d) as int8; 34 bytes a block.
  Q4_0: per 32 elements d = (the element of largest magnitude) / -8 (f16), q = min(15, trunc(x / d + 8.5)),
        byte j = q[j] | q[j + 16] << 4; 18 bytes a block.
  BF16: round to nearest even (NaN kept quiet).
q5_0, q5_1 (ggml's reference quantizers) and the K-quants (a plain min/max quantizer) are in
quant_encoders.py.
"""
import argparse
import math
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "gguf"))
import gguf_io as g  # noqa: E402
import quant_encoders as qe  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_VOCAB = REPO.parent / "shared" / "models" / "llama-2-tiny-random.gguf"

SHAPES = {
    "tinyllama": dict(name="TinyLlama-1.1B shape (random weights)", n_embd=2048, n_layer=22, n_head=32,
                      n_head_kv=4, n_ff=5632, ctx=2048),
    "small": dict(name="small Llama shape (random weights)", n_embd=512, n_layer=4, n_head=8, n_head_kv=4,
                  n_ff=1408, ctx=2048),
    "mha": dict(name="Llama-2-7B layer shape (random weights)", n_embd=4096, n_layer=4, n_head=32,
                n_head_kv=32, n_ff=11008, ctx=4096),
    "tiny": dict(name="tiny shape (random weights)", n_embd=64, n_layer=2, n_head=4, n_head_kv=2,
                 n_ff=128, ctx=128),
    "tiny256": dict(name="tiny shape, 256-multiple rows (random weights)", n_embd=256, n_layer=2, n_head=4,
                    n_head_kv=2, n_ff=512, ctx=128),
    # Qwen3-0.6B as released: heads of 128 on a width of 1024, tied output, Qwen's vocabulary.
    "qwen3-0.6b": dict(name="Qwen3-0.6B shape (random weights)", n_embd=1024, n_layer=28, n_head=16, n_head_kv=8,
                       n_ff=3072, ctx=40960, head_dim=128, arch="qwen3", freq_base=1000000.0, tied=True,
                       vocab="vocab/ggml-vocab-qwen2.gguf"),
}
# llama_ftype values for general.file_type
FILE_TYPE = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7, "q5_0": 8, "q5_1": 9, "q2_K": 10, "q3_K": 11,
             "q4_K_M": 15, "q5_K_M": 17, "q6_K": 18, "iq4_nl": 25, "iq4_xs": 30, "bf16": 32}
TYPES = list(FILE_TYPE)


# ------------------------------------------------------------------------------------------------
# Encoders: x is float32 of shape (rows, cols) with cols % 32 == 0 for the block types.
# ------------------------------------------------------------------------------------------------
def encode_f16(x):
    return x.astype("<f2").tobytes()


def encode_bf16(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = ((u + np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1))) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        rounded[nan] = ((u[nan] >> 16) | np.uint32(0x40)).astype(np.uint16)
    return rounded.astype("<u2").tobytes()


def _blocks(x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    assert x.shape[-1] % 32 == 0, x.shape
    return x.reshape(-1, 32)


def encode_q8_0(x):
    b = _blocks(x)
    amax = np.abs(b).max(axis=1)
    d = amax / np.float32(127)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = b * inv[:, None]
    q = (np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))).astype(np.int8)  # roundf: half away from zero
    out = np.empty((b.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def encode_q4_0(x):
    b = _blocks(x)
    idx = np.abs(b).argmax(axis=1)
    vmax = b[np.arange(b.shape[0]), idx]  # signed value of largest magnitude (first one on ties)
    d = vmax / np.float32(-8)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    q = np.minimum(np.float32(15), np.trunc(b * inv[:, None] + np.float32(8.5))).astype(np.uint8)
    out = np.empty((b.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


ENCODERS = {"f32": lambda x: x.astype("<f4").tobytes(), "f16": encode_f16, "bf16": encode_bf16,
            "q8_0": encode_q8_0, "q4_0": encode_q4_0, **qe.ENCODERS}


def use_more_bits(i, n):
    """llama.cpp's choice of the layers that get more bits in the _M mixes."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


# What llama.cpp's quantizer substitutes for a K-quant whose rows are not a multiple of 256.
K_FALLBACK = {"q4_K": "q5_0", "q5_K": "q5_1", "q6_K": "q8_0", "q2_K": "iq4_nl", "q3_K": "iq4_nl",
              "iq4_xs": "iq4_nl"}


def matrix_type(file_type, name, cols, n_layer, tied=False):
    """ggml type of one matrix of a file of `file_type`: the type itself, or for q4_K_M / q5_K_M the
    mix llama.cpp's quantizer makes for a llama-like model without experts (llama_tensor_get_type):
    output q6_K; attn_v and ffn_down q6_K in the layers use_more_bits picks; a fused attn_qkv q5_K
    (q4_K_M) or q6_K (q5_K_M); every other matrix, token_embd included, q4_K / q5_K. A tied
    token_embd (no output.weight) is the output and gets its type."""
    if file_type not in ("q4_K_M", "q5_K_M"):
        t = file_type
    else:
        base = "q4_K" if file_type == "q4_K_M" else "q5_K"
        layer = int(name.split(".")[1]) if name.startswith("blk.") else -1
        if name == "output.weight" or (tied and name == "token_embd.weight"):
            t = "q6_K"
        elif name.endswith("attn_v.weight") or name.endswith("ffn_down.weight"):
            t = "q6_K" if use_more_bits(layer, n_layer) else base
        elif name.endswith("attn_qkv.weight"):
            t = "q5_K" if base == "q4_K" else "q6_K"
        else:
            t = base
    if t in K_FALLBACK and cols % 256 != 0:
        t = K_FALLBACK[t]
    return t


# ------------------------------------------------------------------------------------------------
def head_dim_of(hp):
    """The shape's head dimension: its own (--head-dim, qwen3-0.6b), else width / heads."""
    return hp.get("head_dim") or hp["n_embd"] // hp["n_head"]


def tensor_list(hp, n_vocab, arch="llama", rope_freqs=False, tied=False, longrope=False):
    """(name, dims in GGUF order (fastest first), kind) in llama.cpp's order; kind is "matrix",
    "norm" (ones), "head_norm" (random around 1), "bias" (random f32) or "rope_freqs" (Llama-3.1
    factors)."""
    hd = head_dim_of(hp)
    e, ff, q, kv = hp["n_embd"], hp["n_ff"], hp["n_head"] * hd, hp["n_head_kv"] * hd
    out = [("token_embd.weight", [e, n_vocab], "matrix")]
    if rope_freqs:
        out.append(("rope_freqs.weight", [hd // 2], "rope_freqs"))
    if longrope:
        n_rot = hp.get("n_rot", hd)
        out += [("rope_factors_long.weight", [n_rot // 2], "rope_long"),
                ("rope_factors_short.weight", [n_rot // 2], "rope_short")]
    for i in range(hp["n_layer"]):
        p = f"blk.{i}."
        out.append((p + "attn_norm.weight", [e], "norm"))
        if arch == "phi3":
            out.append((p + "attn_qkv.weight", [e, q + 2 * kv], "matrix"))
        else:
            out += [(p + "attn_q.weight", [e, q], "matrix"), (p + "attn_k.weight", [e, kv], "matrix"),
                    (p + "attn_v.weight", [e, kv], "matrix")]
        if arch == "qwen2":
            out += [(p + "attn_q.bias", [q], "bias"), (p + "attn_k.bias", [kv], "bias"),
                    (p + "attn_v.bias", [kv], "bias")]
        if arch == "qwen3":
            out += [(p + "attn_q_norm.weight", [hd], "head_norm"), (p + "attn_k_norm.weight", [hd], "head_norm")]
        out += [(p + "attn_output.weight", [q, e], "matrix"), (p + "ffn_norm.weight", [e], "norm")]
        if arch == "phi3":
            out.append((p + "ffn_up.weight", [e, 2 * ff], "matrix"))
        else:
            out += [(p + "ffn_gate.weight", [e, ff], "matrix"), (p + "ffn_up.weight", [e, ff], "matrix")]
        out.append((p + "ffn_down.weight", [ff, e], "matrix"))
    out.append(("output_norm.weight", [e], "norm"))
    if not tied:
        out.append(("output.weight", [e, n_vocab], "matrix"))
    return out


def llama31_rope_factors(head_dim, base, original_ctx, factor=8.0, low=1.0, high=4.0):
    """Llama-3.1's frequency divisors (what its GGUF files store in rope_freqs.weight)."""
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / base ** (i / head_dim)
        wavelen = 2 * np.pi / freq
        if wavelen < original_ctx / high:
            out.append(1.0)
        elif wavelen > original_ctx / low:
            out.append(factor)
        else:
            smooth = (original_ctx / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype="<f4")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tinyllama")
    ap.add_argument("--type", choices=TYPES, default="f16",
                    help="q4_K_M / q5_K_M: llama.cpp's type mix of that name (see matrix_type)")
    ap.add_argument("--out", default=str(REPO / "build" / "models"),
                    help="output directory (default build/models/), or a path ending in .gguf")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--std", type=float, default=0.02)
    ap.add_argument("--layers", type=int, help="override the layer count")
    ap.add_argument("--ctx", type=int, help="override the trained context length")
    ap.add_argument("--vocab-from", help="vocabulary donor (default: the shape's, else the Llama-2 vocabulary)")
    ap.add_argument("--arch", choices=["llama", "qwen2", "qwen3", "phi3", "granite", "smollm3", "ernie4_5", "exaone", "mistral3"], help="default: the shape's, else llama")
    ap.add_argument("--tied", action="store_true", help="no output.weight: the output is token_embd (the shape's default)")
    ap.add_argument("--head-dim", type=int, help="head dimension (default n_embd / heads)")
    ap.add_argument("--rope-freqs", action="store_true", help="llama: add Llama-3.1's rope_freqs.weight")
    ap.add_argument("--rope-linear", type=float, help="linear RoPE scaling factor")
    ap.add_argument("--rope-dims", type=int, help="rotated dims per head (default: all)")
    ap.add_argument("--rope-yarn", type=float, help="YaRN RoPE scaling factor")
    ap.add_argument("--yarn-orig", type=int, help="YaRN's (and the query temperature's) original context length")
    ap.add_argument("--yarn-betas", help="mistral3: F,S written as rope.scaling.yarn_beta_fast / yarn_beta_slow")
    ap.add_argument("--yarn-log-mul", type=float, help="mistral3: rope.scaling.yarn_log_multiplier")
    ap.add_argument("--attn-temp", type=float, help="mistral3: attention.temperature_scale")
    ap.add_argument("--longrope", type=int, metavar="ORIGINAL_T", help="Phi-3's LongRoPE with this original window")
    ap.add_argument("--freq-base", type=float, help="RoPE base (default: the shape's, else 10000)")
    ap.add_argument("--chat-template", metavar="FILE",
                    help="store this file's text as tokenizer.chat_template (replacing the donor's)")
    ap.add_argument("--force", action="store_true", help="rewrite the file even if it exists")
    ap.add_argument("--embd-only", action="store_true", help="only token_embd in --type, other matrices f32")
    args = ap.parse_args()

    hp = dict(SHAPES[args.shape])
    if args.layers:
        hp["n_layer"] = args.layers
    if args.ctx:
        hp["ctx"] = args.ctx
    if args.head_dim:
        hp["head_dim"] = args.head_dim
    if args.rope_dims:
        hp["n_rot"] = args.rope_dims
    args.arch = args.arch or hp.get("arch", "llama")
    args.freq_base = args.freq_base if args.freq_base is not None else hp.get("freq_base", 10000.0)
    args.tied = args.tied or hp.get("tied", False)
    if not args.vocab_from:
        args.vocab_from = str(REPO.parent / "shared" / "models" / hp["vocab"]) if "vocab" in hp else str(DEFAULT_VOCAB)
    out = pathlib.Path(args.out)
    if out.suffix != ".gguf":
        out.mkdir(parents=True, exist_ok=True)
        suffix = f"-l{hp['n_layer']}" if args.layers else ""
        out = out / f"random-{args.arch}-{args.shape}{suffix}-{args.type}.gguf"
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not args.force:
        print(f"{out} exists (use --force to rewrite)")
        return

    donor = g.Reader(args.vocab_from)
    tok = {k: v for k, v in donor.kv.items() if k.startswith("tokenizer.")}
    if "tokenizer.ggml.tokens" not in tok:
        raise SystemExit(f"{args.vocab_from} has no tokenizer.ggml.tokens")
    n_vocab = len(tok["tokenizer.ggml.tokens"].value)
    tok.setdefault("tokenizer.ggml.add_bos_token", g.Value(g.T_BOOL, True))
    tok.setdefault("tokenizer.ggml.add_eos_token", g.Value(g.T_BOOL, False))
    if args.chat_template:
        tok["tokenizer.chat_template"] = g.Value(g.T_STRING, pathlib.Path(args.chat_template).read_text(encoding="utf-8"))

    head_dim = head_dim_of(hp)
    tmp = out.with_name(out.name + ".part")
    w = g.StreamWriter(str(tmp), alignment=32)
    U32, F32, S = g.T_UINT32, g.T_FLOAT32, g.T_STRING
    a = args.arch
    w.kv["general.architecture"] = g.Value(S, a)
    w.kv["general.name"] = g.Value(S, f"{hp['name']}, {hp['n_layer']} layers, {args.type}")
    w.kv["general.alignment"] = g.Value(U32, 32)
    w.kv["general.file_type"] = g.Value(U32, FILE_TYPE[args.type])
    w.kv[f"{a}.vocab_size"] = g.Value(U32, n_vocab)
    w.kv[f"{a}.context_length"] = g.Value(U32, hp["ctx"])
    w.kv[f"{a}.embedding_length"] = g.Value(U32, hp["n_embd"])
    w.kv[f"{a}.block_count"] = g.Value(U32, hp["n_layer"])
    w.kv[f"{a}.feed_forward_length"] = g.Value(U32, hp["n_ff"])
    w.kv[f"{a}.rope.dimension_count"] = g.Value(U32, hp.get("n_rot", head_dim))
    if "head_dim" in hp:
        w.kv[f"{a}.attention.key_length"] = g.Value(U32, head_dim)
        w.kv[f"{a}.attention.value_length"] = g.Value(U32, head_dim)
    w.kv[f"{a}.attention.head_count"] = g.Value(U32, hp["n_head"])
    w.kv[f"{a}.attention.head_count_kv"] = g.Value(U32, hp["n_head_kv"])
    w.kv[f"{a}.attention.layer_norm_rms_epsilon"] = g.Value(F32, 1e-5)
    w.kv[f"{a}.rope.freq_base"] = g.Value(F32, args.freq_base)
    if args.rope_linear:
        w.kv[f"{a}.rope.scaling.type"] = g.Value(S, "linear")
        w.kv[f"{a}.rope.scaling.factor"] = g.Value(F32, args.rope_linear)
    if args.rope_yarn:
        w.kv[f"{a}.rope.scaling.type"] = g.Value(S, "yarn")
        w.kv[f"{a}.rope.scaling.factor"] = g.Value(F32, args.rope_yarn)
    if args.yarn_orig:
        w.kv[f"{a}.rope.scaling.original_context_length"] = g.Value(U32, args.yarn_orig)
    if args.yarn_betas:
        fast, slow = (float(v) for v in args.yarn_betas.split(","))
        w.kv[f"{a}.rope.scaling.yarn_beta_fast"] = g.Value(F32, fast)
        w.kv[f"{a}.rope.scaling.yarn_beta_slow"] = g.Value(F32, slow)
    if args.yarn_log_mul is not None:
        w.kv[f"{a}.rope.scaling.yarn_log_multiplier"] = g.Value(F32, args.yarn_log_mul)
    if args.attn_temp is not None:
        w.kv[f"{a}.attention.temperature_scale"] = g.Value(F32, args.attn_temp)
    if a == "granite":
        w.kv[f"{a}.embedding_scale"] = g.Value(F32, 4.0)
        w.kv[f"{a}.residual_scale"] = g.Value(F32, 0.5)
        w.kv[f"{a}.attention.scale"] = g.Value(F32, 0.2)
        w.kv[f"{a}.logit_scale"] = g.Value(F32, 3.0)
    if args.longrope:
        w.kv[f"{a}.rope.scaling.original_context_length"] = g.Value(U32, args.longrope)
        scale = hp["ctx"] / args.longrope
        w.kv[f"{a}.rope.scaling.attn_factor"] = g.Value(
            F32, math.sqrt(1 + math.log(scale) / math.log(args.longrope)) if scale > 1 else 1.0)
    w.kv.update(tok)

    tensors = tensor_list(hp, n_vocab, args.arch, args.rope_freqs, args.tied, bool(args.longrope))
    types = {name: matrix_type(args.type if name == "token_embd.weight" or not args.embd_only else "f32", name,
                               dims[0], hp["n_layer"], args.tied) for name, dims, kind in tensors
             if kind == "matrix"}
    for name, dims, kind in tensors:
        w.add_tensor_info(name, dims, g.GGML_TYPE_ID[types[name]] if kind == "matrix" else 0)
    w.write_header()

    t0 = time.time()
    total = 0
    slice_elems = 8 << 20  # ~32 MB of f32 per slice
    for ti, (name, dims, kind) in enumerate(tensors):
        w.begin_tensor(name)
        if kind == "norm":
            w.write(np.ones(dims[0], dtype="<f4").tobytes())
        elif kind == "head_norm":
            rng = np.random.default_rng([args.seed, ti])
            w.write((1.0 + 0.25 * rng.standard_normal(dims[0], dtype=np.float32)).astype("<f4").tobytes())
        elif kind == "bias":
            rng = np.random.default_rng([args.seed, ti])
            w.write((rng.standard_normal(dims[0], dtype=np.float32) * np.float32(args.std)).astype("<f4").tobytes())
        elif kind == "rope_freqs":
            w.write(llama31_rope_factors(head_dim, args.freq_base, hp["ctx"]).tobytes())
        elif kind in ("rope_long", "rope_short"):
            ramp = np.linspace(0.0, 1.0, dims[0], dtype=np.float32)
            top = 40.0 if kind == "rope_long" else 1.5
            w.write((1.0 + (top - 1.0) * ramp * ramp).astype("<f4").tobytes())
        else:
            cols, rows = dims
            rng = np.random.default_rng([args.seed, ti])
            step = max(1, slice_elems // cols)
            for r0 in range(0, rows, step):
                n = min(step, rows - r0)
                x = rng.standard_normal((n, cols), dtype=np.float32)
                x *= np.float32(args.std)
                w.write(ENCODERS[types[name]](x))
        w.end_tensor()
        total += w.infos[ti][4]
        if sys.stderr.isatty():
            print(f"\r{ti + 1}/{len(tensors)} tensors, {total / 1e9:.2f} GB", end="", file=sys.stderr, flush=True)
    w.close()
    os.replace(tmp, out)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    n_params = sum(np.prod(d) for _, d, _ in tensors)
    print(f"wrote {out}: {args.shape} {args.type}, {n_params / 1e9:.3f} B parameters, "
          f"{out.stat().st_size / 1e9:.3f} GB, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
