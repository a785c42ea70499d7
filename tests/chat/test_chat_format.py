"""lh_chat_format against the real chat templates rendered with python3-jinja2: byte for byte,
for every conversation in jinja_reference.CONVERSATIONS, with and without the assistant prefix.
Where the template refuses a conversation (raise_exception), the library must refuse it too;
Gemma's system message is the one documented difference (folded into the first user turn)."""
import os

import pytest

import jinja_reference as ref
import llamacpp_templates
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
    # From llama.cpp's collection (llamacpp_templates: the npm package's source bundle).
    "Qwen-Qwen3-0.6B.jinja": ("qwen3", "ggml-vocab-qwen2.gguf"),
    "Qwen3-Coder.jinja": ("chatml", "ggml-vocab-qwen2.gguf"),
    "mistralai-Ministral-3-14B-Reasoning-2512.jinja": ("mistral-v7", "ggml-vocab-llama-bpe.gguf"),
    "ibm-granite-granite-4.0.jinja": ("granite4", "ggml-vocab-gpt-2.gguf"),
    "ibm-granite-granite-4.1.jinja": ("granite4", "ggml-vocab-gpt-2.gguf"),
    "meta-llama-Llama-3.2-3B-Instruct.jinja": ("llama3.1", "ggml-vocab-llama-bpe.gguf"),
    "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja": ("deepseek-r1", "ggml-vocab-llama-bpe.gguf"),
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
        # The same family chosen by name formats identically (a template's own default system
        # message is the template's: by name there is none).
        no_system = messages[0]["role"] != "system" or (family == "granite4" and not messages[0]["content"])
        if not (family in ("mistral-v7", "granite4") and no_system):
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


# Every template llama.cpp collects: the library either refuses it (LH_ERROR_UNSUPPORTED, saying
# why) or renders every conversation as python3-jinja2 does. A template accepted under a family it
# only resembles (a ChatML relative with BOS or <think> blocks, DeepSeek V3, functionary) would fail
# here. Gemma's folded system message is the one documented difference (expected_text).
COLLECTED = llamacpp_templates.names()


def test_collection_is_the_expected_one():
    assert len(COLLECTED) >= 60, COLLECTED
    assert set(SUPPORTED) - set(os.listdir(ref.TEMPLATE_DIR)) <= set(COLLECTED)


@pytest.mark.parametrize("filename", COLLECTED)
def test_collected_template_refused_or_exact(filename):
    model = model_for("ggml-vocab-llama-bpe.gguf")
    template = llamacpp_templates.load(filename)
    status, family = model.family(template)
    if status != LH_OK:
        assert status == LH_ERROR_UNSUPPORTED and "unsupported chat template: " in family
        return
    bos, eos = special_texts(model)
    for name, messages in ref.CONVERSATIONS.items():
        for add in (False, True):
            want = expected_text(family, template, messages, add, bos, eos)
            status, got = model.format(template, messages, add)
            if want is None:
                assert status == LH_ERROR_INVALID_ARGUMENT, f"{name}: the template refuses it; library gave {got!r}"
            else:
                assert (status, got) == (LH_OK, want), f"{filename} as {family}, conversation {name}"


def test_collection_accepted_families():
    # What the collection must keep being accepted as (a detection made stricter by mistake shows
    # here), and one refusal per kind of near miss.
    model = model_for("ggml-vocab-llama-bpe.gguf")
    for filename, family in {"Qwen-Qwen3-0.6B.jinja": "qwen3", "Qwen3-Coder.jinja": "chatml",
                             "ibm-granite-granite-4.0.jinja": "granite4", "ibm-granite-granite-4.1.jinja": "granite4",
                             "mistralai-Ministral-3-14B-Reasoning-2512.jinja": "mistral-v7",
                             "meta-llama-Llama-3.3-70B-Instruct.jinja": "llama3.1",
                             "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja": "deepseek-r1"}.items():
        assert model.family(llamacpp_templates.load(filename)) == (LH_OK, family), filename
    for filename, why in {"LFM2-8B-A1B.jinja": "bos_token", "Qwen-QwQ-32B.jinja": "<think>",
                          "MiMo-VL.jinja": "default system message", "deepseek-ai-DeepSeek-V3.1.jinja": "R1 distills",
                          "meetkai-functionary-medium-v3.1.jinja": "has_code_interpreter",
                          "fireworks-ai-llama-3-firefunction-v2.jinja": "tools or functions",
                          "unsloth-Apriel-1.5.jinja": "<|content|>", "Mistral-Small-3.2-24B-Instruct-2506.jinja": "strftime_now",
                          "unsloth-mistral-Devstral-Small-2507.jinja": "v7 form",
                          "ibm-granite-granite-3.3-2B-Instruct.jinja": "today's date"}.items():
        status, message = model.family(llamacpp_templates.load(filename))
        assert status == LH_ERROR_UNSUPPORTED and why in message, (filename, message)
