"""Generation: greedy equals the C API, streaming equals non-streaming, early stop, Context."""

import signal
import threading
import time

import pytest

import longheads

PROMPT = "Once upon a time"


def test_greedy_equals_c_api(model, cli, model_path):
    expected = cli("generate", "-m", model_path, "-p", PROMPT, "-n", 16, "--temp", 0)
    stream = model.stream(PROMPT, max_tokens=16, temperature=0)
    text = "".join(stream)
    assert stream.tokens == expected["tokens"]
    assert text == expected["text"]
    assert model.generate(PROMPT, max_tokens=16, temperature=0) == expected["text"]
    assert stream.stop_reason == longheads.StopReason.MAX_TOKENS


def test_stream_equals_generate(model):
    for kw in (dict(temperature=0), dict(temperature=0.9, seed=42, top_k=20), dict(temperature=1.2, seed=7)):
        pieces = list(model.stream(PROMPT, max_tokens=40, **kw))
        assert all(isinstance(p, str) and p for p in pieces)
        assert "".join(pieces) == model.generate(PROMPT, max_tokens=40, **kw)


def test_same_seed_same_text(model):
    a = model.generate(PROMPT, max_tokens=24, temperature=1.0, seed=123)
    b = model.generate(PROMPT, max_tokens=24, temperature=1.0, seed=123)
    assert a == b


def test_early_stop(model):
    with model.context() as ctx:
        n_prompt = len(model.tokenize(PROMPT))
        stream = ctx.stream(PROMPT, max_tokens=100, temperature=0)
        got = []
        for piece in stream:
            got.append(piece)
            if len(got) == 3:
                break
        n_generated = len(stream.tokens)
        stream.close()
        stream.close()  # twice is a no-op
        assert stream.stop_reason == longheads.StopReason.NONE
        assert list(stream) == []
        assert 3 <= n_generated < 100
        # Nothing ran after the break: the context holds the prompt and the pulled tokens only
        # (the last sampled token is not evaluated yet).
        assert n_prompt + n_generated - 1 <= ctx.n_past <= n_prompt + n_generated


def test_break_out_of_model_stream_releases(model):
    for _ in range(20):
        for i, _piece in enumerate(model.stream(PROMPT, max_tokens=50, temperature=0)):
            if i == 1:
                break


def test_stop_strings(model):
    full = model.generate(PROMPT, max_tokens=40, temperature=0)
    assert "." in full
    stream = model.stream(PROMPT, max_tokens=40, temperature=0, stop=["."])
    text = "".join(stream)
    assert text == full[:full.index(".")]
    assert stream.stop_reason == longheads.StopReason.STRING
    assert model.generate(PROMPT, max_tokens=40, temperature=0, stop=".") == text


def test_stop_string_whose_prefix_ends_the_text(model):
    """The text's last character starts a stop string, so the library holds it back until the
    end and returns it together with done: the stream must not lose it."""
    full = model.generate(PROMPT, max_tokens=24, temperature=0)
    stop = full[-1] + "\x01"
    stream = model.stream(PROMPT, max_tokens=24, temperature=0, stop=[stop])
    assert "".join(stream) == full
    assert stream.text == full
    assert stream.stop_reason == longheads.StopReason.MAX_TOKENS
    assert model.generate(PROMPT, max_tokens=24, temperature=0, stop=[stop]) == full


def test_context_low_level(model, cli, model_path):
    expected = cli("generate", "-m", model_path, "-p", PROMPT, "-n", 8, "--temp", 0)["tokens"]
    ref_logits = cli("logits", "-m", model_path, "-p", PROMPT)["logits"]
    with longheads.Context(model, n_ctx=256) as ctx:
        assert ctx.model is model
        assert ctx.n_ctx == 256 and ctx.n_vocab == 512
        ids = model.tokenize(PROMPT)
        ctx.eval(ids)
        assert ctx.n_past == len(ids)
        logits = ctx.logits()
        assert len(logits) == 512
        assert max(abs(float(a) - b) for a, b in zip(logits, ref_logits)) < 1e-3
        got = []
        for _ in range(8):
            tok = ctx.sample()
            got.append(tok)
            ctx.eval([tok])
        assert got == expected
        ctx.reset()
        assert ctx.n_past == 0
        ctx.eval(ids, all_logits=True)
        first = ctx.logits(0)
        assert len(first) == 512
        assert ctx.params["n_ctx"] == 256
        assert ctx.params["attention"] == longheads.Attention.LONGHEADS  # the default: full attention below B


def test_logits_numpy(model):
    np = pytest.importorskip("numpy")
    with model.context() as ctx:
        ctx.eval(model.tokenize(PROMPT))
        logits = ctx.logits()
        assert isinstance(logits, np.ndarray) and logits.dtype == np.float32 and logits.shape == (512,)
        logits[0] = 1.0  # writable
        sampler = longheads.Sampler(temperature=0)
        assert sampler.sample(ctx.logits()) == int(np.argmax(ctx.logits()))
        assert sampler.sample(ctx) == int(np.argmax(ctx.logits()))
        assert sampler.sample(list(map(float, ctx.logits()))) == int(np.argmax(ctx.logits()))
        sampler.accept([1, 2, 3])
        sampler.close()
        sampler.close()


def test_longheads_attention_context(model):
    with model.context(attention="longheads", n_ctx=2048, chunk_size=32, attn_len=256) as ctx:
        p = ctx.params
        assert p["attention"] == longheads.Attention.LONGHEADS
        assert p["chunk_size"] == 32 and p["attn_len"] == 256
        text = ctx.generate(PROMPT, max_tokens=8, temperature=0)
        assert isinstance(text, str)


def test_contexts_on_threads(model):
    expected = model.generate(PROMPT, max_tokens=24, temperature=0)
    results = [None] * 4

    def work(i):
        with model.context() as ctx:
            results[i] = ctx.generate(PROMPT, max_tokens=24, temperature=0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_cancel_from_another_thread_releases_gil(model):
    """A long generation runs without the GIL: this thread can call cancel() meanwhile, and the
    generation ends early with StopReason.CANCELLED, keeping its text."""
    outcome = {}
    with model.context(attention="longheads", n_ctx=8192) as ctx:
        def work():
            with ctx.stream(PROMPT, max_tokens=4000, stop_at_eog=False, seed=1) as stream:
                outcome["text"] = "".join(stream)
                outcome["reason"] = stream.stop_reason
                outcome["tokens"] = len(stream.tokens)

        start = time.monotonic()
        t = threading.Thread(target=work)
        t.start()
        time.sleep(0.3)
        ctx.cancel()
        t.join(timeout=120)
        elapsed = time.monotonic() - start
        assert not t.is_alive()
        assert outcome["reason"] == longheads.StopReason.CANCELLED
        assert outcome["text"] and 0 < outcome["tokens"] < 4000
        assert elapsed < 20
        # The context is usable afterwards.
        ctx.reset()
        assert ctx.generate(PROMPT, max_tokens=4, temperature=0)


def test_a_second_generation_takes_the_context_over(model):
    """Two generations never interleave their tokens in one cache: the newer one takes the
    context, and the older one fails naming the call that took it."""
    with model.context(n_ctx=512) as ctx:
        first = ctx.stream(PROMPT, max_tokens=20, temperature=0)
        assert next(first)
        assert ctx.generate(" and", max_tokens=4, temperature=0)
        with pytest.raises(longheads.InvalidArgumentError, match="lh_generation_start"):
            next(first)
        first.close()
        ctx.eval(model.tokenize(" then", add_bos=False))
        ctx.reset()
        assert ctx.generate(PROMPT, max_tokens=4, temperature=0)


def _interrupt_main_thread_after(seconds):
    """Sends SIGINT to this process after `seconds`, as Ctrl-C would."""
    timer = threading.Timer(seconds, lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_cancels_a_long_eval(model):
    """Ctrl-C during a long prompt evaluation raises KeyboardInterrupt within 0.5 s (not after the
    evaluation), and the context holds whole batches."""
    with model.context(attention="longheads", n_ctx=32768, n_batch=64) as ctx:
        # A prompt that takes about 3 s here (at least 1024 tokens), so the interrupt lands inside.
        probe = model.tokenize(" one two three four" * 300)[:1024]
        start = time.monotonic()
        ctx.eval(probe)
        rate = len(probe) / (time.monotonic() - start)
        ctx.reset()
        n = max(1024, min(32000, int(3 * rate)))
        ids = (probe * (n // len(probe) + 1))[:n]
        timer = _interrupt_main_thread_after(0.3)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            ctx.eval(ids)
        waited = time.monotonic() - start - 0.3
        timer.join()
        assert waited < 0.5, "cancelled {:.2f} s after Ctrl-C".format(waited)
        # Whole batches stay (or none, when the cancel cut a batch: the cache cannot roll back).
        assert ctx.n_past % 64 == 0 and ctx.n_past < len(ids)
        ctx.reset()
        assert ctx.generate(PROMPT, max_tokens=4, temperature=0)  # usable afterwards


def test_ctrl_c_ends_a_stream_and_keeps_its_text(model):
    with model.context(attention="longheads", n_ctx=8192) as ctx:
        stream = ctx.stream(PROMPT, max_tokens=6000, stop_at_eog=False, seed=3)
        timer = _interrupt_main_thread_after(0.3)
        start = time.monotonic()
        pieces = []
        try:
            for piece in stream:  # ends instead of raising when Ctrl-C lands in the library's wait
                pieces.append(piece)
        except KeyboardInterrupt:
            # It landed in this loop's own code: Python raises here, and the stream still ends
            # on request with its text (the documented contract for caller code).
            stream.cancel()
            pieces.extend(stream)
        waited = time.monotonic() - start - 0.3
        timer.join()
        assert stream.stop_reason == longheads.StopReason.CANCELLED
        assert waited < 0.5
        assert 0 < len(stream.tokens) < 6000
        assert "".join(pieces) == stream.text[:len("".join(pieces))] and pieces
        # generate() turns a Ctrl-C anywhere in it into the end of the text, never an exception.
        # (After the prompt's evaluation: a Ctrl-C during it raises, as it does in eval().)
        for delay in (0.15, 0.3):
            ctx.reset()
            timer = _interrupt_main_thread_after(delay)
            text = ctx.generate(PROMPT, max_tokens=6000, stop_at_eog=False, seed=3)
            timer.join()
            n = min(len(text), len(stream.text))
            assert text and text[:n] == stream.text[:n]  # same seed: the same text, cut elsewhere
            assert len(model.tokenize(text, add_bos=False)) < 5000  # cut, not run to its end


def test_ctrl_c_ends_a_chat_reply_and_keeps_it(model):
    with model.chat(template="chatml", n_ctx=8192) as chat:
        timer = _interrupt_main_thread_after(0.3)
        reply = chat.send("Tell me a story", max_tokens=6000, stop_at_eog=False, seed=3)
        timer.join()
        assert chat.stop_reason == longheads.StopReason.CANCELLED
        assert reply and chat.messages[-1] == {"role": "assistant", "content": reply}


def test_chunk_score(model):
    lh = dict(attention="longheads", n_ctx=512, chunk_size=8, attn_len=32)
    with model.context(**lh, chunk_score="max_key") as ctx:
        assert ctx.params["chunk_score"] == longheads.ChunkScore.MAX_KEY
        # 48 tokens past L = 32: the max-key chunk selection runs.
        text = ctx.generate(PROMPT, max_tokens=48, temperature=0)
        assert isinstance(text, str) and text
    assert model.generate(PROMPT, max_tokens=48, temperature=0, chunk_score=longheads.ChunkScore.MAX_KEY, **lh)
    assert "".join(model.stream(PROMPT, max_tokens=8, temperature=0, chunk_score="max_key", **lh))
    with model.context() as ctx:
        assert ctx.params["chunk_score"] == longheads.ChunkScore.BOUND_MID  # the library default
    with pytest.raises(ValueError):
        model.context(chunk_score="bogus")
    with pytest.raises(ValueError):
        model.context(chunk_score=7)


def test_bound_chunk_score_and_local_chunks(model):
    lh = dict(attention="longheads", n_ctx=512, chunk_size=8, attn_len=32)
    with model.context(**lh, chunk_score="bound", local_chunks=3) as ctx:
        assert ctx.params["chunk_score"] == longheads.ChunkScore.BOUND
        assert ctx.params["local_chunks"] == 3
        bound = ctx.generate(PROMPT, max_tokens=48, temperature=0)  # past L = 32: bound selection runs
        assert isinstance(bound, str) and bound
    with model.context(**lh) as ctx:
        assert ctx.params["local_chunks"] == 2  # the default, resolved by the library
    # The library checks the value it receives: K = 32 / 8 = 4 leaves room for at most 3.
    with pytest.raises(longheads.Error, match="local_chunks"):
        model.context(**lh, local_chunks=4)
    with pytest.raises(ValueError):
        model.context(**lh, local_chunks=-1)


def test_kv_types(model):
    np = pytest.importorskip("numpy")
    ids = model.tokenize(PROMPT)
    logits = {}
    for kv in ("f32", "bf16", "q8"):
        with model.context(kv_type=kv) as ctx:
            assert ctx.params["kv_type"] == longheads.KVType.coerce(kv, "kv_type")
            ctx.eval(ids)
            logits[kv] = ctx.logits().copy()
    # Lower-precision caches change the logits a little, not the model's prediction.
    for kv in ("bf16", "q8"):
        assert 0 < np.abs(logits[kv] - logits["f32"]).max() < 0.05 * np.abs(logits["f32"]).max()
        assert int(np.argmax(logits[kv])) == int(np.argmax(logits["f32"]))
    with pytest.raises(ValueError):
        model.context(kv_type="int4")


def test_saved_contexts_forks_and_prefix_reuse(model, tmp_path):
    """lh_context_save/load/file_params, fork, tokens, truncate and eval_reuse from Python: a
    loaded or forked context answers exactly as the original."""
    lh = dict(attention="longheads", n_ctx=512, chunk_size=8, attn_len=32)
    ids = model.tokenize(PROMPT + " there was a little girl who liked to play")
    path = tmp_path / "ctx.lhctx"
    with model.context(**lh) as ctx:
        ctx.eval(ids)
        assert ctx.tokens == ids
        expected = ctx.logits().tolist()
        ctx.save(path)
        with ctx.fork() as copy:
            assert copy.tokens == ids and copy.logits().tolist() == expected
            assert copy.params == ctx.params
        # The common prefix is kept, less up to chunk_size - 1 tokens with the faithful score.
        assert len(ids) - 8 <= ctx.eval_reuse(ids) <= len(ids) - 1
        assert max(abs(a - b) for a, b in zip(ctx.logits().tolist(), expected)) < 1e-3
        ctx.truncate(5)
        assert ctx.n_past == 5 and ctx.tokens == ids[:5]
        greedy_after = ctx.generate(" and", max_tokens=4, temperature=0)
    saved = longheads.Context.file_params(path)
    assert saved["attention"] == longheads.Attention.LONGHEADS and saved["chunk_size"] == 8
    with longheads.Context.load(model, path) as loaded:
        assert loaded.tokens == ids and loaded.logits().tolist() == expected
        loaded.truncate(5)
        assert loaded.generate(" and", max_tokens=4, temperature=0) == greedy_after
    with longheads.Context.load(model, path, n_ctx=1024, **{k: v for k, v in lh.items() if k != "n_ctx"}) as bigger:
        assert bigger.n_ctx == 1024 and bigger.tokens == ids
    with pytest.raises(longheads.InvalidArgumentError, match="attention"):
        longheads.Context.load(model, path, attention="full")
    path.write_bytes(b"not a context file")
    with pytest.raises(longheads.Error) as e:
        longheads.Context.load(model, path)
    assert e.value.status == longheads.Status.BAD_FORMAT
