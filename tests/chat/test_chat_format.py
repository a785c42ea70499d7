"""lh_chat_format against the real chat templates rendered with python3-jinja2: byte for byte,
for every conversation in jinja_reference.CONVERSATIONS, with and without the assistant prefix.
Where the template refuses a conversation (raise_exception), the library must refuse it too;
Gemma's system message is the one documented difference (folded into the first user turn)."""
import os

import pytest

import jinja_reference as ref
from lh_ctypes import LH_ERROR_INVALID_ARGUMENT, LH_ERROR_UNSUPPORTED, LH_OK, Model, load_library

VOCAB_DIR = os.path.join(os.path.dirname(ref.TEMPLATE_DIR), "..", "models", "vocab")

# template file -> (family the library must detect, vocabulary donor whose BOS/EOS texts fill
# bos_token/eos_token)
SUPPORTED = {
    "meta-llama-Llama-3.1-8B-Instruct.jinja": ("llama3.1", "ggml-vocab-llama-bpe.gguf"),
    "Qwen-Qwen2.5-7B-Instruct.jinja": ("qwen2.5", "ggml-vocab-qwen2.gguf"),
    "microsoft-Phi-3.5-mini-instruct.jinja": ("phi3", "ggml-vocab-phi-3.gguf"),
    "mistralai-Mistral-Nemo-Instruct-2407.jinja": ("mistral-v3-tekken", "ggml-vocab-llama-bpe.gguf"),
    "google-gemma-2-2b-it.jinja": ("gemma", "ggml-vocab-gpt-2.gguf"),
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja": ("deepseek-r1", "ggml-vocab-deepseek-llm.gguf"),
    "HuggingFaceTB-SmolLM3-3B.jinja": ("smollm3", "ggml-vocab-llama-bpe.gguf"),
}

LIB = load_library()
_models = {}


def model_for(vocab):
    if vocab not in _models:
        _models[vocab] = Model(LIB, os.path.join(VOCAB_DIR, vocab))
    return _models[vocab]


def special_texts(model):
    bos = model.meta_int("tokenizer.ggml.bos_token_id")
    eos = model.meta_int("tokenizer.ggml.eos_token_id")
    return model.token_text(bos), model.token_text(eos)


def expected_text(family, template, messages, add_assistant, bos, eos):
    """The Jinja rendering, or None when the template refuses the conversation."""
    try:
        return ref.render(template, messages, add_assistant, bos, eos)
    except ref.TemplateError:
        if family != "gemma" or messages[0]["role"] != "system" or len(messages) < 2:
            return None
    # Gemma: the library folds the system message into the first user turn.
    first = dict(messages[1])
    first["content"] = messages[0]["content"].strip() + "\n\n" + first["content"].strip()
    try:
        return ref.render(template, [first] + messages[2:], add_assistant, bos, eos)
    except ref.TemplateError:
        return None


CASES = [(f, c, a) for f in SUPPORTED for c in ref.CONVERSATIONS for a in (False, True)]


@pytest.mark.parametrize("filename,conversation,add_assistant", CASES)
def test_format_equals_jinja(filename, conversation, add_assistant):
    family, vocab = SUPPORTED[filename]
    model = model_for(vocab)
    template = ref.load_template(filename)
    messages = ref.CONVERSATIONS[conversation]
    bos, eos = special_texts(model)
    want = expected_text(family, template, messages, add_assistant, bos, eos)
    status, got = model.format(template, messages, add_assistant)
    if want is None:
        assert status == LH_ERROR_INVALID_ARGUMENT, f"the template refuses this conversation; library gave {got!r}"
        assert family in got  # the message names the family
    else:
        assert status == LH_OK, got
        assert got == want
        # The same family chosen by name formats identically.
        assert model.format(family, messages, add_assistant) == (LH_OK, want)


@pytest.mark.parametrize("filename", list(SUPPORTED))
def test_family_detected(filename):
    family, vocab = SUPPORTED[filename]
    assert model_for(vocab).family(ref.load_template(filename)) == (LH_OK, family)


# Variants of the collected templates that are not reproduced, made from them: SmolLM3's original
# form writes today's date from the clock.
REFUSED = {
    "smollm3-dated": ("HuggingFaceTB-SmolLM3-3B.jinja",
                      ('{{- "Knowledge Cutoff Date: June 2025\\n" -}}',
                       '{{- "Knowledge Cutoff Date: June 2025\\n" -}}{{- "Today Date: " + strftime_now("%d %B %Y") -}}'),
                      "Today Date"),
}


@pytest.mark.parametrize("variant", list(REFUSED))
def test_unreproduced_template_is_refused_by_name(variant):
    filename, (old, new), named = REFUSED[variant]
    template = ref.load_template(filename)
    assert old in template
    status, message = model_for("ggml-vocab-llama-bpe.gguf").format(
        template.replace(old, new), ref.CONVERSATIONS["single"], True)
    assert status == LH_ERROR_UNSUPPORTED
    assert named in message and "supported families" in message


def test_unknown_name_and_unknown_template():
    model = model_for("ggml-vocab-llama-bpe.gguf")
    status, message = model.format("vicuna-42", ref.CONVERSATIONS["single"], True)
    assert status == LH_ERROR_UNSUPPORTED and "vicuna-42" in message and "chatml" in message
    status, message = model.format("{% for m in messages %}{{ m.content }}{% endfor %}", ref.CONVERSATIONS["single"], True)
    assert status == LH_ERROR_UNSUPPORTED and "no known family" in message


def test_bad_role_and_no_messages():
    model = model_for("ggml-vocab-qwen2.gguf")
    status, message = model.format("chatml", [{"role": "tool", "content": "x"}], True)
    assert status == LH_ERROR_INVALID_ARGUMENT and "'tool'" in message
    status, message = model.format("chatml", [], True)
    assert status == LH_ERROR_INVALID_ARGUMENT and "no messages" in message


def test_model_without_template():
    status, message = model_for("ggml-vocab-gpt-2.gguf").format(None, ref.CONVERSATIONS["single"], True)
    assert status == LH_ERROR_INVALID_ARGUMENT and "tokenizer.chat_template" in message


def test_every_supported_family_compared():
    # Guards against the comparisons silently shrinking: every family must have matched Jinja
    # on at least 8 (conversation, prefix) pairs.
    for filename, (family, vocab) in SUPPORTED.items():
        model = model_for(vocab)
        template = ref.load_template(filename)
        bos, eos = special_texts(model)
        equal = 0
        for messages in ref.CONVERSATIONS.values():
            for add in (False, True):
                want = expected_text(family, template, messages, add, bos, eos)
                if want is not None and model.format(template, messages, add) == (LH_OK, want):
                    equal += 1
        assert equal >= 8, f"{family}: only {equal} conversations equal the Jinja rendering"
