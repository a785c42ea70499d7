"""Model information and the tokenizer, against the C API (through the CLI) and llama.cpp."""

import pytest

import longheads

HELLO_IDS = [1, 346, 306, 414, 263, 304, 341]  # llama.cpp's ids of "Hello world" with BOS


def test_version():
    assert longheads.version().count(".") == 2
    assert longheads.__version__ == longheads.version()


def test_cpu_level_is_the_c_api_one(cli, model_path):
    assert longheads.cpu_level() in ("generic", "avx2", "avx512", "avx512_bf16")
    assert longheads.cpu_level() == cli("info", "-m", model_path)["cpu_level"]


def test_model_info(model):
    assert model.architecture == "llama"
    assert model.n_vocab == 512
    assert model.n_ctx_train == 512
    assert model.n_layer == 5
    assert model.n_embd == 64
    assert model.n_head == 8
    assert model.n_head_kv == 4
    assert model.bos == 1 and model.eos == 2
    info = model.info
    assert info.n_vocab == 512 and info.precision == longheads.Precision.F32 and info.add_bos
    assert model.metadata("llama.context_length") == "512"
    tensors = model.tensors()
    assert len(tensors) > 0 and all(isinstance(t.dims, tuple) for t in tensors)
    assert "llama" in repr(model)


def test_tokenize_hello(model):
    assert model.tokenize("Hello world") == HELLO_IDS
    assert model.tokenize("Hello world", add_bos=False) == HELLO_IDS[1:]
    assert model.tokenize(b"Hello world") == HELLO_IDS
    assert model.detokenize(HELLO_IDS) == " Hello world"
    assert model.detokenize(HELLO_IDS[1:]) == "Hello world"
    assert model.detokenize(HELLO_IDS, render_special=True) == "<s> Hello world"


def test_tokenize_equals_c_api(model, cli, model_path):
    for text in ["Hello world", "Once upon a time, there was a little girl named Lily.", "a"]:
        assert model.tokenize(text) == cli("tokenize", "-m", model_path, "-p", text)["tokens"]


def test_tokenize_reference(model, reference_tokenize):
    for case in reference_tokenize["cases"]:
        text = case["text"]
        ids = model.tokenize(text)
        assert ids == case["with_bos"]["ids"], text
        assert model.tokenize(text, add_bos=False) == case["without_bos"]["ids"], text
        assert model.detokenize(ids) == case["with_bos"]["detok"], text
        assert model.detokenize(case["without_bos"]["ids"]) == case["without_bos"]["detok"], text
        assert model.detokenize(ids, render_special=True) == case["with_bos"]["detok_unparse_special"], text
        pieces = [model.token_piece(t).hex() for t in ids]
        assert pieces == case["with_bos"]["pieces_hex"], text


def test_token_helpers(model):
    assert model.is_eog(model.eos)
    assert not model.is_eog(346)
    assert isinstance(model.token_piece(346), bytes)


def test_tokens_accept_numpy_ints(model):
    np = pytest.importorskip("numpy")
    ids = np.array(HELLO_IDS, dtype=np.int64)
    assert model.detokenize(ids) == " Hello world"
    assert model.detokenize([np.int32(346), np.int32(306)]) == "Hell"
