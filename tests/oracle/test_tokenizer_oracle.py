"""Token ids of the BPE and Phi-3 vocabularies equal llama.cpp's for random strings, compared live.

The pre-tokenizers no vocabulary of ../shared uses (tekken: Mistral NeMo and Small 3; gpt-4o;
smollm: SmolLM) are checked on the Llama-3 vocabulary with its `tokenizer.ggml.pre`
rewritten: the cuts into words differ, the merges are real.

Strings come from a fixed seed (LONGHEADS_ORACLE_SEED overrides it; the seed is printed): words in
many scripts, emoji with modifiers and joiners, runs of every kind of whitespace, digits of several
systems, code, contractions, special-token texts and random code points of all planes.
"""
import json
import os
import random
import tempfile
import pathlib

import sys

import pytest

from conftest import REPO, SHARED, require_file, run_oracle, run_tool

sys.path.insert(0, str(REPO / "tools" / "gguf"))
import gguf_io  # noqa: E402

VOCABS = ["llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "phi-3"]
# Pre-tokenizers checked on the Llama-3 vocabulary (the `tokenizer.ggml.pre` value written into it).
REWRITTEN_PRE = ["tekken", "gpt-4o", "smollm", "qwen35",
                 # later names llama.cpp maps onto expressions checked above (their flags differ)
                 "falcon-h1", "midm-2.0", "lfm2", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2",
                 "exaone4", "kanana2", "talkie"]
PER_VOCAB = int(os.environ.get("LONGHEADS_ORACLE_STRINGS", "600"))
SEED = int(os.environ.get("LONGHEADS_ORACLE_SEED", "20261202"))

SCRIPTS = [
    (0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x530, 0x58F),
    (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0x980, 0x9FF), (0xE00, 0xE7F), (0x10A0, 0x10FF),
    (0x1100, 0x11FF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
    (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0x2EBF0, 0x2EE5D), (0x300, 0x36F),
]
EMOJI = ["🦙", "🔥", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🙂", "🚀", "🧑🏿‍💻", "✨", "☕", "🤖", "🏳️‍🌈", "1️⃣"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", "\u00a0", "\u3000", "\u2003", "\u200b", "\u2028",
          "\u0085", "\u1680", "\u202f", "\x0b", "\x0c", " \n ", "\t\t \n"]
DIGITS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "१२३४", "²³¹", "½⅓", "Ⅻ"]
CODE = ["def f(x):\n    return x**2  # sq", "if (a && b) { c++; }", "<div class=\"x\">&amp;</div>",
        "SELECT * FROM t WHERE id=42;", "x = [1, 2, 3]\n", "fn main() -> i32 { 0 }", "$HOME/.config",
        "a->b::c", "{\"k\": [1.5e-3, null]}", "```py\nprint('hi')\n```", "i += 1; // ++", "#!/bin/sh -e"]
WORDS = ["Hello", "world", "the", "don't", "I'LL", "we've", "it's", "Ünïcödé", "naïve", "café",
         "HelloWorld", "camelCase", "XMLHttpRequest", "ÉCOLE", "ÀBCdef", "iPhone", "McDONALD's", "HTTPs",
         "Привет", "мир", "日本語", "中文", "한국어", "ελληνικά", "עברית", "العربية", "हिन्दी", "ไทย"]


# Fixed strings for the cases random ones rarely hit: a run of punctuation, newlines then '/'
# (tekken's and gpt-4o's [\r\n/]*), upper-case runs ending in non-ASCII letters (which count as
# both cases there), contractions after upper case, digits next to letters and spaces.
EDGES = ["ab!\n/c", "x;\r\n//y", "ok.\n\n/", "ÉA's", "AÉB", "ÀÉÎ", "ÀBCdef", "HTTPServer", "ABCÉdef",
         "DON'T", "I'M", "e\u0301A", "\u00e9\u00c9", " 1 22 333 4444", "a1b22c", "MIXEDcase Words",
         # combining marks (qwen35 joins them to letters): after a letter, a space, a digit, alone
         "e\u0301\u0302x", "a \u0301b", "1\u0301", "\u0301\u0302", "!\u0301?", "\u0915\u094d\u0937"]


def special_texts(vocab):
    if vocab in REWRITTEN_PRE:
        vocab = "llama-bpe"
    return {
        "llama-bpe": ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"],
        "qwen2": ["<|im_start|>", "<|im_end|>", "<|endoftext|>"],
        "gpt-2": ["<|endoftext|>"],
        "deepseek-llm": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "ø", "À"],
        "phi-3": ["<|user|>", "<|assistant|>", "<|end|>", "<|system|>", "<s>", "</s>"],
    }[vocab]


def random_char(rng):
    while True:
        kind = rng.random()
        if kind < 0.8:
            lo, hi = rng.choice(SCRIPTS)
            cp = rng.randint(lo, hi)
        else:
            cp = rng.randint(1, 0x10FFFF)
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def random_string(rng, vocab):
    parts = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.22:
            parts.append(rng.choice(WORDS))
        elif r < 0.36:
            parts.append("".join(random_char(rng) for _ in range(rng.randint(1, 8))))
        elif r < 0.50:
            parts.append(rng.choice(SPACES) * rng.randint(1, 3))
        elif r < 0.60:
            d = rng.choice(DIGITS)
            parts.append("".join(rng.choice(d) for _ in range(rng.randint(1, 9))))
        elif r < 0.70:
            parts.append(rng.choice(EMOJI))
        elif r < 0.80:
            parts.append(rng.choice(CODE))
        elif r < 0.86:
            parts.append(rng.choice(special_texts(vocab)))
        elif r < 0.93:
            parts.append("".join(rng.choice("'sStTmMdDrReEvVlL.,!?;:-_()[]{}<>|/\\\"`~@#%^&*+=") for _ in range(rng.randint(1, 5))))
        else:
            parts.append(" " + rng.choice(WORDS))
    return "".join(parts)


def compare_with_llamacpp(path, vocab):
    rng = random.Random(f"{SEED}-{vocab}")
    texts = EDGES + [random_string(rng, vocab) for _ in range(PER_VOCAB)]
    print(f"seed {SEED}, {len(texts)} strings for {vocab}")
    expected = run_oracle("tokenize", path, {"texts": texts, "special": True})
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = pathlib.Path(tmp) / "in.json", pathlib.Path(tmp) / "out.json"
        src.write_text(json.dumps({"texts": texts, "special": True}, ensure_ascii=False), encoding="utf-8")
        run_tool("tokenize_batch", path, src, dst)
        got = json.loads(dst.read_text())
    assert len(got) == len(expected) == len(texts)
    bad = [(t, e, g) for t, e, g in zip(texts, expected, got) if e != g]
    print(f"{vocab}: {len(texts) - len(bad)}/{len(texts)} equal")
    assert not bad, f"{len(bad)} of {len(texts)} differ; first: {bad[0]!r}"


@pytest.mark.parametrize("vocab", VOCABS)
def test_random_strings_equal_llamacpp(vocab):
    compare_with_llamacpp(require_file(SHARED / "models" / "vocab" / f"ggml-vocab-{vocab}.gguf", "vocabulary"), vocab)


def with_pre_tokenizer(src, pre, dst):
    """src's metadata (a vocabulary-only file: no tensors) with tokenizer.ggml.pre = pre."""
    out = gguf_io.copy_of(src)
    assert not out.tensors, "a vocabulary-only file is expected"
    out.set("tokenizer.ggml.pre", gguf_io.T_STRING, pre)
    out.write(dst)
    return dst


@pytest.mark.parametrize("pre", REWRITTEN_PRE)
def test_rewritten_pre_tokenizer_equals_llamacpp(pre, tmp_path):
    src = require_file(SHARED / "models" / "vocab" / "ggml-vocab-llama-bpe.gguf", "vocabulary")
    compare_with_llamacpp(with_pre_tokenizer(src, pre, tmp_path / f"vocab-{pre}.gguf"), pre)
