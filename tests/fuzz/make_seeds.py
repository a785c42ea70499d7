#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into OUTDIR/<target>/ (generated, not committed):
small valid llamas in each GGUF version and weight type, the malformed suite's cases, the
headers of the shared models, texts and id sequences.

    /usr/bin/python3 tests/fuzz/make_seeds.py OUTDIR [SHARED_MODELS_DIR]
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "malformed"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "gguf"))
import gguf_io  # noqa: E402
import make_cases  # noqa: E402

MAX_LEN = 64 * 1024  # keep in step with -max_len in tests/reliability.cmake


def small_models():
    out = {}
    for v in (1, 2, 3):
        out["tiny_v%d" % v] = make_cases.tiny_llama(version=v)
    out["tiny_tied"] = make_cases.tiny_llama(tied=True)
    out["tiny_gqa1"] = make_cases.tiny_llama(n_head_kv=1, n_layer=2)
    out["tiny_f16"] = make_cases.tiny_llama(weight_type=gguf_io.GGML_F16, n_embd=8, n_head=2, n_head_kv=1, n_ff=16)
    out["tiny_bf16"] = make_cases.tiny_llama(weight_type=gguf_io.GGML_BF16, n_embd=8, n_head=2, n_head_kv=1, n_ff=16)
    out["tiny_q8_0"] = make_cases.tiny_llama(weight_type=gguf_io.GGML_Q8_0, n_embd=32, n_head=4, n_head_kv=4, n_ff=32)
    out["tiny_q4_0"] = make_cases.tiny_llama(weight_type=gguf_io.GGML_Q4_0, n_embd=32, n_head=2, n_head_kv=1, n_ff=32)
    out["tiny_qwen3"] = make_cases.tiny_llama(arch="qwen3", n_layer=2)
    out["tiny_phi3_longrope"] = make_cases.tiny_llama(arch="phi3", longrope=32)
    out["tiny_granite"] = make_cases.tiny_llama(arch="granite")
    out["tiny_smollm3"] = make_cases.tiny_llama(arch="smollm3", n_layer=4, n_embd=8, n_head=2, n_head_kv=1,
                                                n_ff=16)  # layer 3 without RoPE
    return out


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_seeds.py OUTDIR [SHARED_MODELS_DIR]")
    out = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else None
    dirs = {t: os.path.join(out, t) for t in ("gguf", "gguf_header", "model", "tokenize", "detokenize")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)

    counts = dict.fromkeys(dirs, 0)

    def seed(target, name, data):
        if len(data) <= MAX_LEN:
            write(os.path.join(dirs[target], name), data)
            counts[target] += 1

    for name, g in small_models().items():
        data = g.to_bytes()
        seed("gguf", name, data)
        seed("model", name, data)
        seed("gguf_header", name, data[:g.sections["header_end"]])
    for name, data, _status, _msgs in make_cases.cases():
        if len(data) <= MAX_LEN:
            seed("gguf", "case_" + name, data)
            if name.startswith(("missing", "wrong", "vocab", "kv_", "norm", "head", "rope", "tensor_type",
                                "value", "tokens", "bos", "eos", "score", "duplicate_token")):
                seed("model", "case_" + name, data)
    # Headers of the shared models (their tensor directories point beyond the fixed tail for the
    # larger ones, which still exercises the reader's bounds checks).
    if shared:
        for fname in ("stories260K.gguf", "stories260K-gguf-v1.gguf", "llama-2-tiny-random.gguf"):
            p = os.path.join(shared, fname)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    head = f.read(MAX_LEN)
                seed("gguf", "shared_" + fname, head)
                seed("gguf_header", "shared_" + fname, head)

    texts = [b"Once upon a time, there was a little girl.", b"", b" ", b"  leading spaces", b"<s>hello</s><unk>",
             "caf\u00e9 na\u00efve \u4e2d\u6587 \U0001F999 emoji".encode(), b"\xff\xfe\x80\xc3(\xe2\x82",
             b"a\x00b\x00", b"\n\n\t\r\n", "\u2581already\u2581marked".encode(), b"x" * 300]
    for i, t in enumerate(texts):
        for flags in (0, 1, 2, 3, 4, 7):
            seed("tokenize", "text_%02d_%d" % (i, flags), bytes([flags]) + t)
    seqs = [[1, 100, 200, 300], [1], [2], [0, 1, 2], [259, 260, 261], [3, 4, 5, 6],  # bytes 0x00..
            [0xF0 + 3, 0x9F + 3, 0xA6 + 3, 0x99 + 3], [1, 0xC3 + 3], [-1, 5], [512, 1], [2 ** 31 - 1],
            [-2 ** 31], list(range(0, 512, 7))]
    for i, s in enumerate(seqs):
        for flags in (0, 1, 2, 3, 4, 6):
            seed("detokenize", "ids_%02d_%d" % (i, flags), bytes([flags]) + struct.pack("<%di" % len(s), *s))
    print("seeds: " + ", ".join("%s %d" % (t, counts[t]) for t in dirs))


if __name__ == "__main__":
    main()
