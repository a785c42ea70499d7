"""/v1/chat/completions: the messages formatted with the chat template (--chat-template, as
`longheads chat` takes it), the reply equal to `longheads chat`'s, streamed as chat chunks, a
conversation's next turn reusing what the previous one evaluated, and the errors."""
import json
import subprocess

from conftest import MODELS, PROMPT as USER, SYSTEM, TEMPLATE, cli_chat_reply, cli_path, curl, error_of, sse_events


def messages(*turns):
    return [{"role": "system", "content": SYSTEM}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]


def test_chat_equals_longheads_chat_whole_and_streamed(start_server):
    s = start_server("-c", "1024", *TEMPLATE)
    want = cli_chat_reply(SYSTEM, USER, 16, *TEMPLATE)
    assert want, "the CLI gave an empty reply: nothing to compare"
    code, body = curl(s, "/v1/chat/completions", {"model": "stories260K", "messages": messages(USER),
                                                  "max_tokens": 16, "temperature": 0})
    assert code == 200, body
    r = json.loads(body)
    assert r["object"] == "chat.completion" and r["id"].startswith("chatcmpl-")
    assert r["choices"][0]["message"] == {"role": "assistant", "content": want}
    assert r["choices"][0]["finish_reason"] == "length" and r["usage"]["completion_tokens"] == 16
    # The same with max_completion_tokens, content as text parts, and streamed.
    parts = messages(USER)
    parts[1]["content"] = [{"type": "text", "text": USER[:10]}, {"type": "text", "text": USER[10:]}]
    code, raw = curl(s, "/v1/chat/completions", {"messages": parts, "max_completion_tokens": 16, "temperature": 0,
                                                 "stream": True, "stream_options": {"include_usage": True}})
    assert code == 200, raw
    events, done = sse_events(raw)
    assert done and all(e["object"] == "chat.completion.chunk" for e in events)
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"]) == want
    assert [e["choices"][0]["finish_reason"] for e in events if e["choices"]][-1] == "length"
    assert events[-1]["usage"]["completion_tokens"] == 16
    # The template the server uses is shown with the model.
    assert json.loads(curl(s, "/v1/models")[1])["data"][0]["meta"]["chat_template"] == "chatml"


def test_the_next_turn_reuses_the_conversation(start_server):
    s = start_server("-c", "1024", *TEMPLATE)
    first = s.post_json("/v1/chat/completions", {"messages": messages(USER), "max_tokens": 12, "temperature": 0})[1]
    reply = first["choices"][0]["message"]["content"]
    follow = messages(USER, reply, "What happened next?")
    second = s.post_json("/v1/chat/completions", {"messages": follow, "max_tokens": 12, "temperature": 0})[1]
    cached = second["usage"]["prompt_tokens_details"]["cached_tokens"]
    # Everything up to the end of the first reply's text was in the context already.
    assert first["usage"]["prompt_tokens"] <= cached < second["usage"]["prompt_tokens"], (first["usage"], second["usage"])
    fresh = start_server("-c", "1024", *TEMPLATE)
    alone = fresh.post_json("/v1/chat/completions", {"messages": follow, "max_tokens": 12, "temperature": 0})[1]
    assert alone["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert alone["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"]


def test_chat_errors(start_server):
    plain = start_server("-c", "256")  # stories260K has no tokenizer.chat_template
    code, err = error_of(curl(plain, "/v1/chat/completions", {"messages": messages(USER)}))
    assert code == 501 and err["code"] == "chat_template_missing" and "--chat-template" in err["message"], err
    assert json.loads(curl(plain, "/v1/models")[1])["data"][0]["meta"]["chat_template"] is None
    s = start_server("-c", "256", *TEMPLATE)
    for bad, param in [({}, "messages"), ({"messages": []}, "messages"), ({"messages": "hi"}, "messages"),
                       ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
                       ({"messages": [{"role": "user"}]}, "messages[0].content"),
                       ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content"),
                       ({"messages": [{"role": "user", "content": "a\u0000b"}]}, "messages[0].content"),
                       ({"messages": messages(USER), "tools": [{"type": "function"}]}, "tools"),
                       ({"messages": messages(USER), "n": 2}, "n")]:
        code, err = error_of(curl(s, "/v1/chat/completions", bad))
        assert code == 400 and err["param"] == param, (bad, err)
    code, err = error_of(curl(s, "/v1/chat/completions", {"messages": messages("word " * 300)}))
    assert code == 413 and err["code"] == "context_length_exceeded"
    # A template the library does not reproduce is refused when the server starts.
    out = subprocess.run([cli_path(), "serve", "-m", str(MODELS / "stories260K.gguf"), "--port", "0",
                          "--chat-template", "{{ not a known template }}"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "chat template" in out.stderr, out.stderr
