"""Errors raise longheads.Error with the status and message; bad arguments ValueError/TypeError;
closed objects raise; resources are released."""

import gc
import os

import pytest

import longheads


def test_missing_file(tmp_path):
    path = tmp_path / "missing.gguf"
    with pytest.raises(longheads.Error) as info:
        longheads.Model(path)
    assert info.value.status == longheads.Status.IO
    assert "missing.gguf" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_corrupted_files(tmp_path, model_path):
    data = open(model_path, "rb").read()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(data[:4096])
    with pytest.raises(longheads.Error) as info:
        longheads.Model(str(truncated))
    assert info.value.status in (longheads.Status.BAD_FORMAT, longheads.Status.IO)
    assert info.value.message

    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"NOPE" + data[4:])
    with pytest.raises(longheads.Error) as info:
        longheads.Model(str(garbage))
    assert info.value.status == longheads.Status.BAD_FORMAT
    assert info.value.message


def test_bad_token_ids(model):
    with pytest.raises(longheads.Error) as info:
        model.detokenize([1, 100000])
    assert info.value.status == longheads.Status.INVALID_ARGUMENT
    assert isinstance(info.value, ValueError)
    assert str(info.value)
    with model.context() as ctx:
        with pytest.raises(longheads.InvalidArgumentError):
            ctx.eval([1, -5])
        assert ctx.n_past == 0  # nothing evaluated
        with pytest.raises(OverflowError):
            ctx.eval([2**40])


def test_context_full(model):
    with model.context(n_ctx=16) as ctx:
        with pytest.raises(longheads.Error) as info:
            ctx.eval(list(range(3, 40)))
        assert info.value.status == longheads.Status.CONTEXT_FULL


def test_bad_arguments(model):
    with pytest.raises(TypeError):
        model.tokenize(123)
    with pytest.raises(TypeError):
        model.detokenize("abc")
    with pytest.raises(TypeError):
        model.detokenize([1.5])
    with pytest.raises(TypeError):
        model.generate("x", temperature="hot")
    with pytest.raises(TypeError):
        model.generate("x", bogus=1)
    with pytest.raises(ValueError):
        model.generate("x", attention="sideways")
    with pytest.raises(ValueError):
        model.generate("x", top_p=1.5)
    with pytest.raises(ValueError):
        model.generate("x", max_tokens=-1)
    with pytest.raises(TypeError):
        longheads.Context("not a model")
    with pytest.raises(ValueError):  # the library's own validation: L must be a multiple of w
        model.context(attention="longheads", chunk_size=32, attn_len=100)


def test_closed_objects(model_path):
    m = longheads.Model(model_path)
    ctx = m.context()
    m.close()
    m.close()  # twice is a no-op
    assert m.closed
    with pytest.raises(longheads.Error):
        m.tokenize("x")
    with pytest.raises(longheads.Error):
        m.n_vocab
    with pytest.raises(longheads.Error):
        with m:
            pass
    # The context keeps the model alive.
    del m
    gc.collect()
    assert ctx.generate("Once upon a time", max_tokens=4, temperature=0)
    ctx.close()
    ctx.close()
    with pytest.raises(longheads.Error) as info:
        ctx.eval([1])
    assert "closed" in str(info.value)


def test_stream_keeps_context_alive(model_path):
    m = longheads.Model(model_path)
    ctx = m.context()
    stream = ctx.stream("Once upon a time", max_tokens=8, temperature=0)
    ctx.close()
    m.close()
    assert len("".join(stream)) > 0


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_no_leak_over_200_cycles(model_path):
    def cycle():
        with longheads.Model(model_path) as m:
            with m.context(n_ctx=128) as ctx:
                ctx.eval(m.tokenize("Hello world"))
                ctx.logits()
            for _ in m.stream("Hi", max_tokens=2, temperature=0, n_ctx=64):
                pass

    for _ in range(20):  # warm up allocators and caches
        cycle()
    gc.collect()
    before = _rss_kb()
    for _ in range(200):
        cycle()
    gc.collect()
    growth = _rss_kb() - before
    # One leaked model + context per cycle would be ~400 MB.
    assert growth < 16 * 1024, "RSS grew by {} kB over 200 cycles".format(growth)


def test_close_while_another_thread_generates(model_path):
    """close() drops the reference; the running call keeps the native objects until it returns."""
    import threading
    import time

    m = longheads.Model(model_path)
    ctx = m.context(attention="longheads", n_ctx=4096)
    out = []
    t = threading.Thread(target=lambda: out.append(
        ctx.generate("Once upon a time", max_tokens=300, stop_at_eog=False, seed=1)))
    t.start()
    time.sleep(0.1)
    ctx.close()
    m.close()
    t.join(timeout=300)
    assert not t.is_alive()
    assert out and len(out[0]) > 0
    with pytest.raises(longheads.Error):
        ctx.n_past
