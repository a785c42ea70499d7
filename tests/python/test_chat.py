"""Chat templates and conversations from Python: Model.chat_format, Model.chat / Chat."""
import pytest

import longheads

CHATML = ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
          "<|im_start|>assistant\n")
GREEDY = dict(max_tokens=8, temperature=0.0)


def test_chat_format_by_name(model):
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    assert model.chat_format(msgs, template="chatml") == CHATML
    assert model.chat_format([("system", "Be brief."), ("user", "Hello")], template="ChatML") == CHATML
    assert model.chat_format(msgs, add_assistant=False, template="chatml") == CHATML[:-len("<|im_start|>assistant\n")]
    assert model.chat_template_family("<|start_header_id|>x") == "llama3"


def test_chat_format_errors(model):
    msgs = [{"role": "user", "content": "Hello"}]
    with pytest.raises(longheads.Error) as e:
        model.chat_format(msgs)  # stories260K has no tokenizer.chat_template
    assert e.value.status == longheads.Status.INVALID_ARGUMENT and "chat_template" in str(e.value)
    with pytest.raises(longheads.Error) as e:
        model.chat_format(msgs, template="vicuna")
    assert e.value.status == longheads.Status.UNSUPPORTED and "vicuna" in str(e.value)
    with pytest.raises(longheads.Error) as e:
        model.chat_format([{"role": "tool", "content": "{}"}], template="chatml")
    assert e.value.status == longheads.Status.INVALID_ARGUMENT and "'tool'" in str(e.value)
    with pytest.raises(TypeError):
        model.chat_format([{"role": "user", "content": 5}], template="chatml")


def test_chat_turns_keep_the_cache(model):
    with model.chat(template="chatml", system="Be brief.", n_ctx=256) as chat:
        first = chat.send("Hello", **GREEDY)
        evaluated, reused = chat.last_prompt
        assert reused == 0 and evaluated > 10
        # Turn 1 is exactly a generation from the formatted prompt.
        assert first == model.generate(CHATML, n_ctx=256, **GREEDY)
        n_after_first = chat.context.n_past
        pieces = list(chat.stream("Tell me more", **GREEDY))
        assert pieces and all(pieces)
        evaluated2, reused2 = chat.last_prompt
        assert reused2 == n_after_first and 0 < evaluated2 < evaluated + 10
        assert [m["role"] for m in chat.messages] == ["system", "user", "assistant", "user", "assistant"]
        assert chat.messages[2]["content"] == first and chat.messages[4]["content"] == "".join(pieces)
        assert chat.stop_reason == longheads.StopReason.MAX_TOKENS
    assert chat.closed


def test_chat_on_a_context(model):
    with model.context(n_ctx=128) as ctx:
        chat = longheads.Chat(ctx, template="llama2")
        chat.send("Hi", max_tokens=4, temperature=0.0)
        assert ctx.n_past > 0
        chat.close()
        assert not ctx.closed  # the caller's context stays open
    with pytest.raises(longheads.Error):
        model.chat(template="nope")
