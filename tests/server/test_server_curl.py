"""`longheads serve` through curl: models, health, completions equal to the CLI's, streaming as
server-sent events, prefix reuse across requests, every error with its status, and a client
that disconnects cancelling its prefill or generation."""
import json
import subprocess
import time

from conftest import PROMPT, cli_greedy, curl, error_of, sse_events


def test_health_and_models(start_server):
    s = start_server("-c", "1024", "--parallel", "2")
    code, body = curl(s, "/health")
    assert code == 200 and json.loads(body) == {"status": "ok", "contexts": 2, "busy": 0, "waiting": 0, "served": 0}
    code, body = curl(s, "/v1/models")
    models = json.loads(body)
    assert code == 200 and models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["stories260K"]
    assert models["data"][0]["meta"]["n_ctx"] == 1024
    code, body = curl(s, "/v1/models/stories260K")
    assert code == 200 and json.loads(body)["id"] == "stories260K"
    code, body = curl(s, "/v1/models/gpt-4")
    assert code == 404 and json.loads(body)["error"]["code"] == "model_not_found"


def test_completion_equals_the_cli(start_server):
    s = start_server("-c", "1024")
    want = cli_greedy(PROMPT, 24)
    code, body = curl(s, "/v1/completions", {"model": "stories260K", "prompt": PROMPT, "max_tokens": 24,
                                             "temperature": 0})
    r = json.loads(body)
    assert code == 200, body
    assert r["object"] == "text_completion" and r["model"] == "stories260K" and r["id"].startswith("cmpl-")
    assert r["choices"][0]["text"] == want["text"]
    assert r["choices"][0]["finish_reason"] == "length"
    assert r["usage"]["prompt_tokens"] == want["prompt_tokens"]
    assert r["usage"]["completion_tokens"] == 24 == len(want["tokens"])
    assert r["usage"]["total_tokens"] == want["prompt_tokens"] + 24
    # A prompt given as token ids, echo, a stop string.
    ids = {"prompt": [1, 403, 407], "max_tokens": 5, "temperature": 0}  # BOS "Once upon"
    code, body = curl(s, "/v1/completions", dict(ids, echo=True))
    echoed = json.loads(body)["choices"][0]["text"]
    answer = json.loads(curl(s, "/v1/completions", ids)[1])["choices"][0]["text"]
    assert code == 200 and echoed.endswith(answer) and echoed[:-len(answer)].strip() == "Once upon", body
    stop_at = want["text"][10:14]
    code, body = curl(s, "/v1/completions", {"prompt": PROMPT, "max_tokens": 24, "temperature": 0, "stop": [stop_at]})
    r = json.loads(body)
    assert r["choices"][0]["text"] == want["text"][:want["text"].index(stop_at)]
    assert r["choices"][0]["finish_reason"] == "stop"


def test_streaming_gives_the_same_text_as_events(start_server):
    s = start_server("-c", "1024")
    body = {"prompt": PROMPT, "max_tokens": 32, "temperature": 0}
    whole = json.loads(curl(s, "/v1/completions", body)[1])["choices"][0]["text"]
    code, raw = curl(s, "/v1/completions", dict(body, stream=True, stream_options={"include_usage": True}))
    assert code == 200
    events, done = sse_events(raw)
    assert done
    assert "".join(e["choices"][0]["text"] for e in events if e["choices"]) == whole
    assert all(e["object"] == "text_completion" for e in events)
    finals = [e["choices"][0]["finish_reason"] for e in events if e["choices"]]
    assert finals[-1] == "length" and all(f is None for f in finals[:-1])
    assert events[-1]["choices"] == [] and events[-1]["usage"]["completion_tokens"] == 32
    assert len({e["id"] for e in events}) == 1


def test_a_second_question_reuses_the_read_document(start_server):
    doc = " ".join([PROMPT, "She loved to play in the park with her friends."] * 40)
    flags = ("-c", "2048", "--attention", "longheads", "--chunk-size", "16", "--attn-len", "128")
    s = start_server(*flags)
    q1 = json.loads(curl(s, "/v1/completions", {"prompt": doc + " Where did Lily play?", "max_tokens": 8,
                                                "temperature": 0})[1])
    assert q1["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    n_doc = q1["usage"]["prompt_tokens"] - 6
    q2 = json.loads(curl(s, "/v1/completions", {"prompt": doc + " What did Lily love?", "max_tokens": 8,
                                                "temperature": 0})[1])
    cached = q2["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert n_doc - 16 <= cached < q2["usage"]["prompt_tokens"], q2["usage"]
    # The reused answer is the one a server that never read the document gives.
    fresh = start_server(*flags)
    q2_fresh = json.loads(curl(fresh, "/v1/completions", {"prompt": doc + " What did Lily love?", "max_tokens": 8,
                                                          "temperature": 0})[1])
    assert q2_fresh["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert q2["choices"][0]["text"] == q2_fresh["choices"][0]["text"]
    # Attention options as request extensions: another context is made for them.
    code, body = curl(s, "/v1/completions", {"prompt": PROMPT, "max_tokens": 4, "temperature": 0, "attention": "window",
                                             "attn_len": 64})
    assert code == 200, body
    code, body = curl(s, "/v1/completions", {"prompt": PROMPT, "attention": "sliding"})
    assert code == 400 and "'sliding' is not a lh_attention name" in json.loads(body)["error"]["message"]
    code, body = curl(s, "/v1/completions", {"prompt": PROMPT, "chunk_size": 48})
    assert code == 400 and "attn_len" in json.loads(body)["error"]["message"]


def test_errors_have_their_status_and_a_json_body(start_server):
    s = start_server("-c", "256", "--max-body", "100000")
    assert error_of(curl(s, "/v1/completions", '{"prompt": '))[0] == 400
    assert error_of(curl(s, "/v1/completions", "[1, 2]"))[0] == 400
    for bad, field in [({"prompt": 5}, "prompt"), ({"prompt": "x", "max_tokens": -1}, "max_tokens"),
                       ({"prompt": "x", "temperature": "hot"}, "temperature"), ({"prompt": "x", "top_p": 2}, "top_p"),
                       ({"prompt": "x", "n": 3}, "n"), ({"prompt": "x", "stop": [1]}, "stop"),
                       ({"prompt": ["a", "b"]}, "prompt"), ({"prompt": "x", "logprobs": 5}, "logprobs"),
                       ({"prompt": "x", "frequency_penalty": 1}, "frequency_penalty"), ({}, "prompt"),
                       ({"prompt": [1, 99999]}, "prompt"), ({"prompt": "x", "stream": "yes"}, "stream")]:
        code, err = error_of(curl(s, "/v1/completions", bad))
        assert code == 400 and err["param"] == field, (bad, err)
    code, err = error_of(curl(s, "/v1/completions", {"model": "gpt-4", "prompt": "x"}))
    assert code == 404 and err["code"] == "model_not_found"
    code, err = error_of(curl(s, "/v1/nothing"))
    assert code == 404
    code, err = error_of(curl(s, "/v1/completions", {"prompt": "word " * 400}))
    assert code == 413 and err["code"] == "context_length_exceeded" and "the context holds 256" in err["message"]
    code, err = error_of(curl(s, "/v1/completions", {"prompt": "x" * 200000}))
    assert code == 413 and "too large" in err["message"]
    assert s.alive()


def test_api_key(start_server):
    s = start_server("-c", "256", "--api-key", "sesame")
    code, err = error_of(curl(s, "/v1/models"))
    assert code == 401 and err["code"] == "invalid_api_key" and "no API key" in err["message"]
    code, err = error_of(curl(s, "/v1/completions", {"prompt": "x"}, "-H", "Authorization: Bearer wrong"))
    assert code == 401 and "incorrect API key" in err["message"]
    assert curl(s, "/v1/models", None, "-H", "Authorization: Bearer sesame")[0] == 200
    assert curl(s, "/health")[0] == 200  # health checks need no key


def test_busy_contexts_and_a_full_queue_give_503(start_server):
    s = start_server("-c", "1024", "--parallel", "1", "--queue", "1")
    long_gen = ["-H", "Content-Type: application/json", "--data-binary",
                json.dumps({"prompt": PROMPT, "max_tokens": 900, "ignore_eos": True, "stream": True})]
    holder = subprocess.Popen(["curl", "-sN", "-o", "/dev/null", s.url + "/v1/completions", *long_gen])
    waiter = None
    try:
        deadline = time.time() + 30
        while s.health()["busy"] == 0 and time.time() < deadline:
            time.sleep(0.01)
        waiter = subprocess.Popen(["curl", "-sN", "-o", "/dev/null", "-w", "%{http_code}",
                                   s.url + "/v1/completions", *long_gen], stdout=subprocess.PIPE)
        while s.health()["waiting"] == 0 and time.time() < deadline:
            time.sleep(0.01)
        assert s.health()["waiting"] == 1
        status, headers, body = s.request("POST", "/v1/completions", {"prompt": PROMPT, "max_tokens": 2})
        assert status == 503 and headers.get("Retry-After") == "1"
        assert json.loads(body)["error"]["code"] == "server_busy"
    finally:
        holder.kill()
        if waiter:
            waiter.kill()
            waiter.wait()
        holder.wait()
    s.wait_idle()
    assert s.post_json("/v1/completions", {"prompt": PROMPT, "max_tokens": 2})[0] == 200


def test_a_client_that_leaves_cancels_its_generation(start_server):
    s = start_server("-c", "4096")
    body = json.dumps({"prompt": PROMPT, "max_tokens": 4000, "ignore_eos": True, "stream": True})
    t0 = time.time()
    subprocess.run(["curl", "-sN", "-o", "/dev/null", "--max-time", "0.5", "-H", "Content-Type: application/json",
                    "--data-binary", body, s.url + "/v1/completions"])
    freed = s.wait_idle(timeout=5)
    assert time.time() - t0 < 3, "the generation went on after the client left"
    gone = [line for line in s.log().splitlines() if "client gone" in line]
    assert len(gone) == 1 and "4000 generated" not in gone[0], s.log()
    print(f"generation cancelled: context free {freed * 1000:.0f} ms after the client left; {gone[0]}")


def test_a_client_that_leaves_during_prefill_cancels_it(start_server):
    # 20000 tokens of the demo model's prefill take many seconds; the client leaves after 0.5 s.
    s = start_server("-c", "24576", "-b", "128", "--attention", "longheads", model="longheads-demo.gguf")
    text = " ".join(["And God said, Let there be light: and there was light."] * 700)  # ~19600 tokens
    body = json.dumps({"prompt": text, "max_tokens": 4})
    t0 = time.time()
    subprocess.run(["curl", "-sN", "-o", "/dev/null", "--max-time", "0.5", "-H", "Content-Type: application/json",
                    "--data-binary", body, s.url + "/v1/completions"])
    freed = s.wait_idle(timeout=10)
    elapsed = time.time() - t0
    lines = [line for line in s.log().splitlines() if "-> 499" in line]
    assert len(lines) == 1, s.log()
    print(f"prefill cancelled: context free {elapsed:.2f} s after the request started ({freed:.2f} s after curl left)")
    assert elapsed < 3
    # What was read before the cancel is reused by the next request with the same prompt.
    status, r = s.post_json("/v1/completions", {"prompt": " ".join(text.split()[:300]), "max_tokens": 1})
    assert status == 200 and r["usage"]["prompt_tokens_details"]["cached_tokens"] > 0


def test_garbage_never_crashes_the_server(start_server):
    import random
    rng = random.Random(15)
    s = start_server("-c", "256", "--parallel", "2")
    values = [None, True, -1, 0, 1, 2 ** 31, 2 ** 64, -2 ** 63, 1e308, -0.5, float("nan"), "", "x" * 3000, "\ud800",
              [], [1, "a"], [[1]], {}, {"a": {"b": []}}, [-5], [2 ** 40]]
    fields = ["prompt", "model", "max_tokens", "temperature", "top_p", "top_k", "min_p", "stop", "stream", "seed",
              "echo", "n", "attention", "chunk_size", "attn_len", "kv_type", "chunk_score", "prefill_mode",
              "repeat_penalty", "stream_options", "messages", "logprobs", "ignore_eos", "begin_len", "n_sinks"]
    statuses = {}
    for i in range(400):
        if i % 4 == 0:
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        else:
            body = {"prompt": "Once", "max_tokens": 3}
            for _ in range(rng.randrange(1, 4)):
                body[rng.choice(fields)] = rng.choice(values)
            raw = json.dumps(body, allow_nan=True).encode()
        path = rng.choice(["/v1/completions", "/v1/chat/completions"])
        status, _, data = s.request("POST", path, raw)
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (200, 400, 404, 413, 501), (status, raw[:200], data[:300])
        if status != 200:
            json.loads(data)["error"]["message"]
        else:
            assert data.startswith(b"{") or data.startswith(b"data: ")
    print("statuses:", statuses)
    assert s.alive() and s.health()["busy"] == 0
