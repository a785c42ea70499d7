#!/usr/bin/env python3
"""Generates the malformed-GGUF suite: a tiny valid llama (tiny_llama, also the fuzz seeds' base)
and ~60 broken variants of it, written with tools/gguf/gguf_io.py's Gguf, each with the status and
message the loader must give. Writes OUTDIR/<case>.gguf and OUTDIR/cases.json
([{name, file, status, messages}]); check_cases.py runs them.

    /usr/bin/python3 tests/malformed/make_cases.py OUTDIR
"""

import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "gguf"))
from gguf_io import GGML_TYPES, Gguf  # noqa: E402
# Short names: metadata value types, then tensor types.
from gguf_io import (T_ARRAY as ARRAY, T_BOOL as BOOL, T_FLOAT32 as F32, T_INT32 as I32, T_INT64 as I64,  # noqa: E402
                     T_STRING as STRING, T_UINT8 as U8, T_UINT32 as U32, T_UINT64 as U64)
from gguf_io import (GGML_BF16 as T_BF16, GGML_F16 as T_F16, GGML_F32 as T_F32, GGML_Q4_0 as T_Q4_0,  # noqa: E402
                     GGML_Q4_K as T_Q4_K, GGML_Q6_K as T_Q6_K, GGML_Q8_0 as T_Q8_0)

OK = "LH_OK"
BAD = "LH_ERROR_BAD_FORMAT"
UNSUP = "LH_ERROR_UNSUPPORTED"
IO = "LH_ERROR_IO"
U64_MAX = (1 << 64) - 1
# Cases where a second outcome is also right: name -> (status, messages).
ALTERNATIVES = {}


# ---- a tiny valid llama -----------------------------------------------------------------------

SPACE = "\u2581"


def tiny_vocab():
    """<unk>, <s>, </s>, 256 byte tokens, then a few merges: 276 tokens."""
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    kinds = [2, 3, 3] + [6] * 256
    words = [SPACE, "e", "t", "h", "a", "o", SPACE + "t", "he", SPACE + "a", SPACE + "the", "in", "ce",
             SPACE + "on", SPACE + "once", "up", SPACE + "up", SPACE + "upon"]
    tokens += words
    kinds += [1] * len(words)
    scores = [0.0] * 259 + [-float(i) for i in range(len(words))]
    return tokens, scores, kinds


def f32_bytes(n, rng, scale=0.1):
    return struct.pack("<%df" % n, *[rng.uniform(-scale, scale) for _ in range(n)])


def tiny_llama(version=3, n_embd=16, n_head=4, n_head_kv=2, n_ff=32, n_layer=1, ctx=64, seed=7,
               weight_type=T_F32, tied=False, arch="llama", longrope=0):
    """A complete, loadable llama (or qwen3: per-head Q/K norms; phi3: fused QKV and gate/up, with
    LongRoPE factors for an original window of `longrope` tokens when set; granite: its four
    multipliers; smollm3: llama's tensors, every fourth layer without RoPE): the baseline every
    malformed case is derived from."""
    rng = random.Random(seed)
    g = Gguf(version=version)
    tokens, scores, kinds = tiny_vocab()
    g.set("general.architecture", STRING, arch)
    g.set("general.name", STRING, "tiny-hostile")
    g.set(arch + ".context_length", U32, ctx)
    g.set(arch + ".embedding_length", U32, n_embd)
    g.set(arch + ".block_count", U32, n_layer)
    g.set(arch + ".feed_forward_length", U32, n_ff)
    g.set(arch + ".attention.head_count", U32, n_head)
    g.set(arch + ".attention.head_count_kv", U32, n_head_kv)
    g.set(arch + ".rope.dimension_count", U32, n_embd // n_head)
    g.set(arch + ".attention.layer_norm_rms_epsilon", F32, 1e-5)
    if arch == "granite":
        for key, value in (("embedding_scale", 12.0), ("residual_scale", 0.22), ("attention.scale", 0.0156),
                           ("logit_scale", 8.0)):
            g.set(arch + "." + key, F32, value)
    if longrope:
        g.set(arch + ".rope.scaling.original_context_length", U32, longrope)
        g.set(arch + ".rope.scaling.attn_factor", F32, 1.1)
    g.set("tokenizer.ggml.model", STRING, "llama")
    g.set("tokenizer.ggml.tokens", ARRAY, (STRING, tokens))
    g.set("tokenizer.ggml.scores", ARRAY, (F32, scores))
    g.set("tokenizer.ggml.token_type", ARRAY, (I32, kinds))
    g.set("tokenizer.ggml.bos_token_id", U32, 1)
    g.set("tokenizer.ggml.eos_token_id", U32, 2)
    g.set("tokenizer.ggml.unknown_token_id", U32, 0)
    n_vocab = len(tokens)
    head_dim = n_embd // n_head
    kv_dim = n_head_kv * head_dim

    def mat(name, cols, rows):
        if weight_type == T_F32:
            g.tensor(name, [cols, rows], T_F32, f32_bytes(cols * rows, rng))
        else:
            g.tensor(name, [cols, rows], weight_type, quantized_bytes(weight_type, cols * rows, rng))

    def vec(name, n):
        g.tensor(name, [n], T_F32, struct.pack("<%df" % n, *[1.0 + rng.uniform(-0.1, 0.1) for _ in range(n)]))

    g.tensor("token_embd.weight", [n_embd, n_vocab], T_F32, f32_bytes(n_embd * n_vocab, rng, 1.0))
    if longrope:
        vec("rope_factors_long.weight", head_dim // 2)
        vec("rope_factors_short.weight", head_dim // 2)
    for i in range(n_layer):
        p = "blk.%d." % i
        vec(p + "attn_norm.weight", n_embd)
        if arch == "phi3":
            mat(p + "attn_qkv.weight", n_embd, n_embd + 2 * kv_dim)
        else:
            mat(p + "attn_q.weight", n_embd, n_embd)
            mat(p + "attn_k.weight", n_embd, kv_dim)
            mat(p + "attn_v.weight", n_embd, kv_dim)
        if arch == "qwen3":
            vec(p + "attn_q_norm.weight", head_dim)
            vec(p + "attn_k_norm.weight", head_dim)
        mat(p + "attn_output.weight", n_embd, n_embd)
        vec(p + "ffn_norm.weight", n_embd)
        if arch == "phi3":
            mat(p + "ffn_up.weight", n_embd, 2 * n_ff)
        else:
            mat(p + "ffn_gate.weight", n_embd, n_ff)
            mat(p + "ffn_up.weight", n_embd, n_ff)
        mat(p + "ffn_down.weight", n_ff, n_embd)
    vec("output_norm.weight", n_embd)
    if not tied:
        mat("output.weight", n_embd, n_vocab)
    return g


def quantized_bytes(ttype, n, rng):
    """Plausible blocks: small f16 scales (finite), random quants."""
    _, per, size = GGML_TYPES[ttype]
    out = bytearray()
    half_small = struct.pack("<e", 0.01)
    for _ in range(n // per):
        blk = bytearray(rng.getrandbits(8) for _ in range(size))
        if ttype in (T_Q4_0, T_Q8_0):
            blk[0:2] = half_small
        elif ttype == T_Q4_K:
            blk[0:2] = half_small
            blk[2:4] = half_small
        elif ttype == T_Q6_K:
            blk[size - 2:size] = half_small
        elif ttype in (T_F16,):
            pass
        out += blk
    if ttype == T_F16:
        return struct.pack("<%de" % n, *[rng.uniform(-0.1, 0.1) for _ in range(n)])
    if ttype == T_BF16:
        return b"".join(struct.pack("<f", rng.uniform(-0.1, 0.1))[2:] for _ in range(n))
    return bytes(out)


def base(**kw):
    return tiny_llama(**kw)


def patch(data, offset, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def cases():
    out = []

    def add(name, data, status, *messages):
        out.append((name, data, status, list(messages)))

    g = base()
    valid = g.to_bytes()
    sec = dict(g.sections)

    # ---- valid baselines: every variant the suite starts from must load ----
    add("valid_v3", valid, OK)
    add("valid_v2", base(version=2).to_bytes(), OK)
    add("valid_v1", base(version=1).to_bytes(), OK)
    add("valid_tied_output", base(tied=True).to_bytes(), OK)
    add("valid_q8_0", base(n_embd=32, n_ff=64, weight_type=T_Q8_0).to_bytes(), OK)
    add("valid_q4_0", base(n_embd=32, n_ff=64, weight_type=T_Q4_0).to_bytes(), OK)
    add("valid_f16", base(weight_type=T_F16).to_bytes(), OK)
    add("valid_bf16", base(weight_type=T_BF16).to_bytes(), OK)
    add("valid_gqa_1_kv_head", base(n_head_kv=1).to_bytes(), OK)
    # general.name is informational: a non-string reads as "" (info, tokenize, generate work).
    add("valid_name_u32", base().set("general.name", U32, 7).to_bytes(), OK)
    add("valid_name_string_array", base().set("general.name", ARRAY, (STRING, ["a", "b"])).to_bytes(), OK)
    # general.alignment 1 (a power of two, so llama.cpp accepts it, but the GGUF spec requires a
    # multiple of 8): f32 tensors at odd addresses. Either refuse the file or load it without
    # reading misaligned floats in place (UBSan checks that in the sanitizer build).
    gg = base()
    gg.alignment = 1
    gg.set("general.alignment", U32, 1)
    gg.set("general.pad", STRING, "")
    gg.to_bytes()
    if gg.sections["header_end"] % 4 != 1:
        gg.set("general.pad", STRING, "x" * ((1 - gg.sections["header_end"]) % 4))
    data = gg.to_bytes()
    assert gg.sections["data"] % 4 == 1
    add("alignment_1_odd_offsets", data, OK)
    ALTERNATIVES["alignment_1_odd_offsets"] = (BAD, ["general.alignment 1"])

    # ---- magic and version ----
    add("empty_file", b"", BAD, "file too small to be GGUF (0 bytes)")
    add("bad_magic", b"GGML" + valid[4:], BAD, "not a GGUF file (bad magic)")
    add("bad_magic_lowercase", b"gguf" + valid[4:], BAD, "bad magic")
    for v in (0, 4, 0xFFFFFFFF):
        add("version_%d" % v, patch(valid, 4, "<I", v), BAD, "unsupported GGUF version %d" % v)

    # ---- truncated at every section ----
    add("truncated_in_magic", valid[:3], BAD, "file too small to be GGUF (3 bytes)")
    add("truncated_in_version", valid[:6], BAD, "file too small to be GGUF (6 bytes)")
    add("truncated_before_tensor_count", valid[:8], BAD, "truncated while reading tensor count")
    add("truncated_in_kv_count", valid[:20], BAD, "truncated while reading metadata count")
    add("truncated_after_counts", valid[:24], BAD, "metadata count %d does not fit in the file" % len(g.kv))
    k = sec["kv_key:general.architecture"]
    add("truncated_in_first_key", valid[:k + 8 + 5], BAD, "metadata count", "does not fit")
    # Inside the last token string: the count still fits what is left, the strings do not.
    add("truncated_in_token_strings", valid[:sec["kv_key:tokenizer.ggml.scores"] - 3], BAD,
        "truncated while reading string array element")
    v = sec["kv_value:tokenizer.ggml.tokens"]
    add("token_strings_count_over_remaining", valid[:v + 2000], BAD,
        "'tokenizer.ggml.tokens': array of 276 string does not fit in the 1984 bytes left")
    v = sec["kv_value:tokenizer.ggml.scores"]
    add("truncated_in_scores", valid[:v + 16 + 100], BAD, "'tokenizer.ggml.scores': array of 276 f32 does not fit")
    t = sec["tinfo:blk.0.ffn_up.weight"]
    add("truncated_in_tensor_name", valid[:t + 8 + 4], BAD, "truncated while reading tensor name")
    t = sec["tinfo_dims:blk.0.ffn_up.weight"]
    add("truncated_in_tensor_dims", valid[:t + 4 + 3], BAD, "truncated while reading tensor dimension")
    t = sec["tinfo_type:output.weight"]
    add("truncated_in_tensor_type", valid[:t + 2], BAD, "truncated while reading tensor type")
    t = sec["tinfo_offset:output.weight"]
    add("truncated_in_tensor_offset", valid[:t + 5], BAD, "truncated while reading tensor offset")
    add("truncated_before_data", valid[:sec["header_end"]], BAD, "file ends before its tensor data section")
    add("truncated_in_last_tensor", valid[:-10], BAD, "tensor 'output.weight' data", "lies outside the file of %d bytes" % (len(valid) - 10))

    # ---- counts and lengths near 2^64 ----
    add("kv_count_u64_max", patch(valid, sec["kv_count"], "<Q", U64_MAX), BAD,
        "metadata count %d does not fit in the file" % U64_MAX)
    add("tensor_count_u64_max", patch(valid, sec["tensor_count"], "<Q", U64_MAX), BAD,
        "tensor count %d does not fit in the file" % U64_MAX)
    add("tensor_count_2_63", patch(valid, sec["tensor_count"], "<Q", 1 << 63), BAD,
        "tensor count %d does not fit" % (1 << 63))
    k = sec["kv_key:general.architecture"]
    add("key_length_u64_max", patch(valid, k, "<Q", U64_MAX), BAD,
        "metadata key at byte %d claims %d bytes" % (k + 8, U64_MAX))
    v = sec["kv_value:general.name"]
    add("string_length_u64_max", patch(valid, v + 4, "<Q", U64_MAX - 1), BAD,
        "string value at byte %d claims %d bytes" % (v + 12, U64_MAX - 1))
    add("string_length_past_eof", patch(valid, v + 4, "<Q", 1 << 29), BAD,
        "truncated while reading string value")
    v = sec["kv_value:tokenizer.ggml.tokens"]
    add("array_length_u64_max", patch(valid, v + 8, "<Q", U64_MAX), BAD,
        "'tokenizer.ggml.tokens': array of %d string does not fit" % U64_MAX)
    add("string_array_element_length_huge", patch(valid, v + 16, "<Q", (1 << 63) + 5), BAD,
        "string array element at byte %d claims %d bytes" % (v + 24, (1 << 63) + 5))
    t = sec["tinfo:token_embd.weight"]
    add("tensor_name_length_u64_max", patch(valid, t, "<Q", U64_MAX), BAD, "tensor name at byte", "claims")

    # Arrays nested deeper than the reader allows.
    gg = base()
    enc = struct.pack("<I", ARRAY)
    body = struct.pack("<I", U8) + struct.pack("<Q", 1) + b"\x01"
    for _ in range(12):
        body = struct.pack("<I", ARRAY) + struct.pack("<Q", 1) + body
    gg.set_raw("general.deep", enc + body)
    add("array_nesting_too_deep", gg.to_bytes(), BAD, "metadata key 'general.deep' nests arrays too deeply")

    # ---- unknown value types ----
    gg = base()
    gg.set_raw("general.weird", struct.pack("<I", 13) + b"\0" * 8)
    add("unknown_metadata_type", gg.to_bytes(), BAD, "metadata key 'general.weird' has unknown value type 13")
    gg = base()
    gg.set_raw("general.weird_array", struct.pack("<IIQ", ARRAY, 99, 1) + b"\0" * 8)
    add("unknown_array_element_type", gg.to_bytes(), BAD, "metadata key 'general.weird_array' has unknown value type 99")

    # ---- duplicates ----
    gg = base()
    gg.kv.append(("llama.block_count", gg.value(U32, 1)))
    add("duplicate_metadata_key", gg.to_bytes(), BAD, "duplicate metadata key 'llama.block_count'")
    gg = base()
    dup = dict(gg.find_tensor("output_norm.weight"))
    gg.tensors.append(dup)
    add("duplicate_tensor", gg.to_bytes(), BAD, "duplicate tensor 'output_norm.weight'")

    # ---- dimensions ----
    t = sec["tinfo_dims:blk.0.attn_q.weight"]
    add("tensor_zero_dims", patch(valid, t, "<I", 0), BAD,
        "tensor 'blk.0.attn_q.weight' has 0 dimensions (1 to 4 allowed)")
    add("tensor_five_dims", patch(valid, t, "<I", 5), BAD,
        "tensor 'blk.0.attn_q.weight' has 5 dimensions (1 to 4 allowed)")
    add("tensor_dim_zero", patch(valid, t + 4, "<Q", 0), BAD,
        "tensor 'blk.0.attn_q.weight' has dimension 0 of size 0")
    add("tensor_dim_negative", patch(valid, t + 4, "<q", -16), BAD,
        "tensor 'blk.0.attn_q.weight' has dimension 0 of size %d" % ((1 << 64) - 16))
    add("tensor_dim_2_63", patch(valid, t + 12, "<Q", 1 << 63), BAD,
        "tensor 'blk.0.attn_q.weight' has dimension 1 of size %d" % (1 << 63))
    gg = base()
    gg.tensor("blk.0.attn_q.weight", [1 << 40, 1 << 40], T_F32, data=b"", offset=0)
    add("tensor_elements_overflow", gg.to_bytes(), BAD, "tensor 'blk.0.attn_q.weight' has too many elements")

    # ---- tensor data placement ----
    t = sec["tinfo_offset:output.weight"]
    add("tensor_offset_outside_file", patch(valid, t, "<Q", 1 << 40), BAD,
        "tensor 'output.weight' data (offset %d" % (1 << 40), "lies outside the file")
    add("tensor_offset_wraps_u64", patch(valid, t, "<Q", U64_MAX - 31), BAD,
        "tensor 'output.weight' data (offset %d" % (U64_MAX - 31), "lies outside the file")
    add("tensor_offset_misaligned", patch(valid, t, "<Q", 36), BAD,
        "tensor 'output.weight' offset 36 is not aligned to 32")
    # attn_k starts inside attn_q's bytes.
    q_off = struct.unpack_from("<Q", valid, sec["tinfo_offset:blk.0.attn_q.weight"])[0]
    new = patch(valid, sec["tinfo_offset:blk.0.attn_k.weight"], "<Q", q_off + 64)
    add("tensors_overlap", new, BAD, "tensors 'blk.0.attn_q.weight' and 'blk.0.attn_k.weight' overlap")
    gg = base()
    gg.set("general.alignment", U32, 24)
    add("alignment_not_power_of_two", gg.to_bytes(), BAD, "general.alignment 24 is not a power of two")
    gg = base()
    gg.set("general.alignment", U32, 0)
    add("alignment_zero", gg.to_bytes(), BAD, "general.alignment 0 is not a power of two")
    gg = base()
    gg.set("general.alignment", STRING, "32")
    add("alignment_not_integer", gg.to_bytes(), BAD, "general.alignment is not an integer")

    # ---- tensor types ----
    t = sec["tinfo_type:blk.0.attn_v.weight"]
    add("tensor_type_unknown", patch(valid, t, "<I", 99), UNSUP, "tensor 'blk.0.attn_v.weight' has unknown type id 99")
    add("tensor_type_removed_q4_2", patch(valid, t, "<I", 4), UNSUP, "tensor 'blk.0.attn_v.weight' has unknown type id 4")
    gg = base()
    gg.tensor("blk.0.attn_q.weight", [16, 16], T_Q4_0)
    add("tensor_row_not_multiple_of_block", gg.to_bytes(), BAD,
        "tensor 'blk.0.attn_q.weight' of type q4_0 has a row of 16 elements, not a multiple of the block size 32")
    gg = base(n_embd=32, n_ff=64)
    gg.tensor("blk.0.attn_q.weight", [32, 32], 9)  # q8_1: a ggml type this library cannot read
    add("tensor_type_not_readable", gg.to_bytes(), UNSUP,
        "tensor 'blk.0.attn_q.weight' has type q8_1, which this library cannot read")

    # ---- required metadata ----
    for key in ("llama.embedding_length", "llama.context_length", "llama.block_count",
                "llama.feed_forward_length", "llama.attention.head_count"):
        add("missing_" + key.replace("llama.", "").replace(".", "_"), base().remove(key).to_bytes(), BAD,
            "missing metadata key '%s'" % key)
    add("missing_architecture", base().remove("general.architecture").to_bytes(), BAD,
        "missing metadata key 'general.architecture'")
    add("missing_tokenizer_model", base().remove("tokenizer.ggml.model").to_bytes(), BAD,
        "missing metadata key 'tokenizer.ggml.model'")
    add("missing_tokenizer_tokens", base().remove("tokenizer.ggml.tokens").to_bytes(), BAD,
        "missing metadata key 'tokenizer.ggml.tokens'")

    # ---- metadata values ----
    add("embedding_length_string", base().set("llama.embedding_length", STRING, "16").to_bytes(), BAD,
        "metadata key 'llama.embedding_length' is not an integer (it is string)")
    add("embedding_length_negative", base().set("llama.embedding_length", I32, -16).to_bytes(), BAD,
        "metadata key 'llama.embedding_length' is -16, must be > 0")
    add("block_count_zero", base().set("llama.block_count", U32, 0).to_bytes(), BAD,
        "metadata key 'llama.block_count' is 0, must be > 0")
    add("block_count_huge", base().set("llama.block_count", U64, 1 << 40).to_bytes(), BAD,
        "metadata key 'llama.block_count' is %d, more than the supported" % (1 << 40))
    add("context_length_u64_max", base().set("llama.context_length", U64, U64_MAX).to_bytes(), BAD,
        "metadata key 'llama.context_length' is out of range")
    add("context_length_i64_negative", base().set("llama.context_length", I64, -(1 << 62)).to_bytes(), BAD,
        "metadata key 'llama.context_length' is %d, must be > 0" % -(1 << 62))
    add("head_count_does_not_divide_embd", base().set("llama.attention.head_count", U32, 3).to_bytes(), BAD,
        "'llama.embedding_length' (16) is not a multiple of 'llama.attention.head_count' (3)")
    add("head_count_kv_does_not_divide", base().set("llama.attention.head_count_kv", U32, 3).to_bytes(), BAD,
        "'llama.attention.head_count' (4) is not a multiple of 'llama.attention.head_count_kv' (3)")
    add("rope_dimension_odd", base().set("llama.rope.dimension_count", U32, 3).to_bytes(), BAD,
        "metadata key 'llama.rope.dimension_count' (3) must be even")
    add("rope_dimension_over_head_dim", base().set("llama.rope.dimension_count", U32, 8).to_bytes(), BAD,
        "metadata key 'llama.rope.dimension_count' (8) must be even and at most the head dimension (4)")
    add("rms_eps_nan", base().set("llama.attention.layer_norm_rms_epsilon", F32, float("nan")).to_bytes(), BAD,
        "metadata key 'llama.attention.layer_norm_rms_epsilon' is")
    add("rope_freq_base_negative", base().set("llama.rope.freq_base", F32, -1.0).to_bytes(), BAD,
        "metadata key 'llama.rope.freq_base' is")
    add("rope_scaling_longrope_type", base().set("llama.rope.scaling.type", STRING, "longrope")
        .set("llama.rope.scaling.factor", F32, 4.0).to_bytes(), UNSUP,
        "only 'linear' and 'yarn' RoPE scaling are supported")
    add("rope_scaling_negative", base().set("llama.rope.scaling.type", STRING, "linear")
        .set("llama.rope.scaling.factor", F32, -4.0).to_bytes(), BAD, "'llama.rope.scaling.factor' is -4")
    add("value_length_differs", base().set("llama.attention.value_length", U32, 8)
        .set("llama.attention.key_length", U32, 4).to_bytes(), UNSUP,
        "'llama.attention.value_length' (8) differs from the key length (4)")
    add("unsupported_architecture", base().set("general.architecture", STRING, "gpt2").to_bytes(), UNSUP,
        "unsupported architecture 'gpt2'")
    add("architecture_not_string", base().set("general.architecture", U32, 1).to_bytes(), BAD,
        "metadata key 'general.architecture' is not a string")

    # ---- tokenizer ----
    add("unsupported_tokenizer_model", base().set("tokenizer.ggml.model", STRING, "bert").to_bytes(), UNSUP,
        "unsupported tokenizer model 'bert'")
    add("bpe_without_pre", base().set("tokenizer.ggml.model", STRING, "gpt2").to_bytes(), UNSUP,
        "without 'tokenizer.ggml.pre'")
    add("bpe_unknown_pre", base().set("tokenizer.ggml.model", STRING, "gpt2")
        .set("tokenizer.ggml.pre", STRING, "made-up").to_bytes(), UNSUP,
        "unsupported BPE pre-tokenizer 'made-up'")
    add("tokens_not_strings", base().set("tokenizer.ggml.tokens", ARRAY, (U32, list(range(276)))).to_bytes(), BAD,
        "metadata key 'tokenizer.ggml.tokens' is not an array of strings")
    add("tokens_empty", base().set("tokenizer.ggml.tokens", ARRAY, (STRING, [])).to_bytes(), BAD,
        "'tokenizer.ggml.tokens' has 0 entries")
    add("scores_count_mismatch", base().set("tokenizer.ggml.scores", ARRAY, (F32, [0.0] * 275)).to_bytes(), BAD,
        "metadata key 'tokenizer.ggml.scores' has 275 entries for 276 tokens")
    add("token_type_invalid", base().set("tokenizer.ggml.token_type", ARRAY, (I32, [1] * 275 + [9])).to_bytes(), BAD,
        "token 275 has invalid type 9")
    add("bos_id_out_of_range", base().set("tokenizer.ggml.bos_token_id", U32, 9999).to_bytes(), BAD,
        "metadata key 'tokenizer.ggml.bos_token_id' = 9999 is out of range (vocabulary of 276)")
    add("eos_id_negative", base().set("tokenizer.ggml.eos_token_id", I32, -5).to_bytes(), BAD,
        "metadata key 'tokenizer.ggml.eos_token_id' = -5 is out of range")
    toks = base()
    names = tiny_vocab()[0]
    names[275] = names[3]  # the last token spelled like the first byte token
    toks.set("tokenizer.ggml.tokens", ARRAY, (STRING, names))
    add("duplicate_token_text", toks.to_bytes(), BAD, "duplicate token text (ids 3 and 275)")
    sc = [0.0] * 276
    sc[100] = float("nan")
    add("score_nan", base().set("tokenizer.ggml.scores", ARRAY, (F32, sc)).to_bytes(), BAD,
        "token 100 has a NaN score")
    add("add_bos_without_bos", base().set("tokenizer.ggml.bos_token_id", I32, -1)
        .set("tokenizer.ggml.add_bos_token", BOOL, 1).to_bytes(), BAD, "add_bos is set but there is no BOS token")

    # ---- tensors vs hyper-parameters ----
    gg = base()
    gg.tensor("token_embd.weight", [16, 277], T_F32)
    add("vocab_size_ne_embedding_rows", gg.to_bytes(), BAD,
        "tensor 'token_embd.weight' has shape [16, 277], expected [16, 276]")
    gg = base()
    gg.tensor("blk.0.attn_q.weight", [16, 8], T_F32)
    add("wrong_tensor_shape", gg.to_bytes(), BAD,
        "tensor 'blk.0.attn_q.weight' has shape [16, 8], expected [16, 16]")
    gg = base()
    gg.tensor("blk.0.attn_k.weight", [16, 16], T_F32)
    add("kv_shape_ignores_gqa", gg.to_bytes(), BAD,
        "tensor 'blk.0.attn_k.weight' has shape [16, 16], expected [16, 8]")
    gg = base()
    gg.tensor("output_norm.weight", [16, 2], T_F32)
    add("norm_is_a_matrix", gg.to_bytes(), BAD, "tensor 'output_norm.weight' has shape [16, 2], expected [16]")
    add("missing_tensor", base().drop_tensor("blk.0.ffn_up.weight").to_bytes(), BAD,
        "missing tensor 'blk.0.ffn_up.weight'")
    add("missing_layer", base().set("llama.block_count", U32, 2).to_bytes(), BAD,
        "missing tensor 'blk.1.attn_norm.weight'")
    add("missing_token_embd", base().drop_tensor("token_embd.weight").to_bytes(), BAD,
        "missing tensor 'token_embd.weight'")
    gg = base()
    gg.tensors = []
    add("no_tensors", gg.to_bytes(), BAD, "missing tensor 'token_embd.weight'")
    gg = base()
    gg.tensor("rope_freqs.weight", [2], T_F32)
    add("rope_freqs_zero", gg.to_bytes(), BAD, "tensor 'rope_freqs.weight' holds 0", "factors must be > 0")
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_cases.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    seen = set()
    for name, data, status, messages in cases():
        assert name not in seen, name
        seen.add(name)
        path = os.path.join(outdir, name + ".gguf")
        with open(path, "wb") as f:
            f.write(data)
        entry = {"name": name, "file": path, "status": status, "messages": messages}
        if name in ALTERNATIVES:
            entry["alternative"] = {"status": ALTERNATIVES[name][0], "messages": ALTERNATIVES[name][1]}
        manifest.append(entry)
    # Not GGUF files at all: a path that does not exist, and a directory.
    manifest.append({"name": "no_such_file", "file": os.path.join(outdir, "no-such-file.gguf"), "status": IO,
                     "messages": ["cannot open", "no-such-file.gguf"]})
    manifest.append({"name": "directory", "file": outdir, "status": IO, "messages": ["is not a regular file"]})
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("%d cases (%d valid, %d malformed) written to %s" % (
        len(manifest), sum(m["status"] == OK for m in manifest), sum(m["status"] != OK for m in manifest), outdir))


if __name__ == "__main__":
    main()
