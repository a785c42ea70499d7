"""A bounded load test: 16 concurrent clients x 20 requests against 4 contexts, prompts sharing
two long documents (prefix reuse under load), completions and chat, a quarter streamed, some
streams cancelled mid-way; a warm-up round, then two measured rounds. Every answer must be complete and equal to
the one the server gives alone; every cancelled stream must be seen as gone; the server's RSS
after each round must come back to its level after the warm-up round."""
import http.client
import json
import os
import statistics
import threading
import time

from conftest import sse_events

DOCS = [" ".join(["Once upon a time, there was a little girl named Lily. She loved to play in the park."] * 12),
        " ".join(["Tom had a big red ball. He liked to kick it high into the sky with his dog."] * 12)]
QUESTIONS = [" Who was it about?", " What happened next?", " Where did they go?", " Why was it fun?"]
PROMPTS = [d + q for d in DOCS for q in QUESTIONS]
CLIENTS, REQUESTS = 16, 20
ROUNDS = int(os.environ.get("LONGHEADS_LOAD_ROUNDS", "2"))  # measured rounds (more to look for a slow leak)


def request_of(prompt, chat):
    """(path, body) of a completion of `prompt`, or of a chat whose user message it is."""
    if chat:
        return "/v1/chat/completions", {"messages": [{"role": "user", "content": prompt}]}
    return "/v1/completions", {"prompt": prompt}


def text_of(choice):
    if "message" in choice:
        return choice["message"]["content"]
    if "delta" in choice:
        return choice["delta"].get("content", "")
    return choice["text"]


def complete(port, prompt, stream, chat=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        path, body = request_of(prompt, chat)
        body.update(max_tokens=16, temperature=0, stream=stream)
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == 200, (resp.status, data[:300])
        if not stream:
            r = json.loads(data)
            assert r["usage"]["completion_tokens"] <= 16
            return text_of(r["choices"][0]), r["usage"]
        events, done = sse_events(data)
        assert done, "stream without [DONE]"
        assert events[-1]["choices"][0]["finish_reason"] in ("length", "stop")
        return "".join(text_of(e["choices"][0]) for e in events), None
    finally:
        conn.close()


def cancel_mid_stream(port, prompt):
    """Reads three events of a long stream, then drops the connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = {"prompt": prompt, "max_tokens": 800, "ignore_eos": True, "temperature": 0, "stream": True}
    conn.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    seen = 0
    while seen < 3:
        line = resp.fp.readline()
        assert line, "stream ended early"
        if line.startswith(b"data: "):
            json.loads(line[6:])
            seen += 1
    conn.sock.shutdown(2)
    conn.close()


def run_round(port, expected, n_requests, results, errors):
    def client(c):
        try:
            for k in range(n_requests):
                prompt = PROMPTS[(c + k) % len(PROMPTS)]
                t0 = time.time()
                if k % 10 == 3:
                    cancel_mid_stream(port, prompt)
                    results.append(("cancelled", time.time() - t0, None))
                    continue
                stream, chat = k % 4 == 0, k % 3 == 1
                text, usage = complete(port, prompt, stream, chat)
                assert text == expected[prompt, chat], (prompt, chat, text, expected[prompt, chat])
                results.append(("stream" if stream else "whole", time.time() - t0, usage))
        except Exception as e:  # reported by the main thread
            errors.append(f"client {c}: {e!r}")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def settled_rss(s):
    s.wait_idle()
    time.sleep(0.5)
    return s.rss_kb()


def test_sixteen_clients_twenty_requests_each(start_server):
    s = start_server("-c", "1024", "--parallel", "4", "--queue", "64", "--chat-template", "chatml")
    # Each alone, one after the other.
    expected = {(p, chat): complete(s.port, p, False, chat)[0] for p in PROMPTS for chat in (False, True)}
    # A first round warms the server up (threads, allocator arenas, contexts' buffers); the RSS
    # after it is the baseline that the next rounds must come back to.
    warm, errors = [], []
    run_round(s.port, expected, REQUESTS, warm, errors)
    assert not errors, errors[:5]
    rss = [settled_rss(s)]

    results = []
    t0 = time.time()
    for _ in range(ROUNDS):
        run_round(s.port, expected, REQUESTS, results, errors)
        assert not errors, errors[:5]
        rss.append(settled_rss(s))
    wall = time.time() - t0
    assert len(results) == ROUNDS * CLIENTS * REQUESTS

    cancelled = sum(1 for r in results + warm if r[0] == "cancelled")
    gone = sum(1 for line in s.log().splitlines() if "client gone" in line)
    assert gone == cancelled, f"{cancelled} streams cancelled, {gone} seen gone by the server"
    whole = sorted(r[1] for r in results if r[0] == "whole")
    prompt_tokens = sum(r[2]["prompt_tokens"] for r in results if r[2])
    cached = sum(r[2]["prompt_tokens_details"]["cached_tokens"] for r in results if r[2])
    print(f"load: {ROUNDS} rounds of {CLIENTS} clients x {REQUESTS} requests = {len(results)} requests "
          f"({sum(1 for r in results if r[0] == 'cancelled')} streams cancelled mid-way) in {wall:.1f} s = "
          f"{len(results) / wall:.1f} req/s; whole answers p50 {statistics.median(whole) * 1000:.0f} ms, "
          f"p95 {whole[int(len(whole) * 0.95)] * 1000:.0f} ms; prompt tokens reused {cached}/{prompt_tokens}; "
          f"RSS after the warm-up round and each round {', '.join(map(str, rss))} kB")
    # Chance alone (a request taking whichever context is free) would reuse about a quarter: two
    # documents x completion/chat over four contexts.
    assert cached > prompt_tokens // 5, "prefix reuse did not happen under load"
    assert max(rss[1:]) <= rss[0] + 2048, f"RSS grew: {rss} kB"
    assert s.alive() and s.health()["busy"] == 0
