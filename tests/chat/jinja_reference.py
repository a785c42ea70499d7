"""Renders a real chat template with python3-jinja2 the way Hugging Face's apply_chat_template
and llama.cpp do (trim_blocks, lstrip_blocks, raise_exception, tojson, enable_thinking=True,
bos_token/eos_token), and the conversations the tests compare."""
import json
import os

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_DIR = os.path.join(os.environ.get("LONGHEADS_SHARED_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared")), "reference", "chat-templates")


class TemplateError(Exception):
    """The template itself refused the conversation (raise_exception or a Jinja error)."""


def _raise(message):
    raise TemplateError(message)


def render(template_text, messages, add_generation_prompt, bos_token, eos_token):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = lambda x, indent=None, **kw: json.dumps(x, ensure_ascii=False, indent=indent)
    env.globals["raise_exception"] = _raise
    try:
        return env.from_string(template_text).render(
            messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos_token,
            eos_token=eos_token, enable_thinking=True)
    except (jinja2.TemplateError, TypeError) as e:
        raise TemplateError(str(e)) from e


def load_template(filename):
    """A template of ../shared/reference/chat-templates, else of llama.cpp's collection."""
    path = os.path.join(TEMPLATE_DIR, filename)
    if not os.path.exists(path):
        import llamacpp_templates
        return llamacpp_templates.load(filename)
    with open(path, encoding="utf-8") as f:
        return f.read()


def _m(role, content):
    return {"role": role, "content": content}


# Several shapes: one user turn, with a system message, multi-turn ending with a user or with
# an assistant turn, whitespace the templates trim (ASCII and Unicode), special-looking text,
# reasoning in an earlier reply, a system message only.
CONVERSATIONS = {
    "single": [_m("user", "Hello!")],
    "system": [_m("system", "You are a terse assistant."), _m("user", "What is 2+2?")],
    "multi_turn": [_m("system", "Answer in French."), _m("user", "Hi"), _m("assistant", "Bonjour !"),
                   _m("user", "How are you?")],
    "ends_with_assistant": [_m("user", "Name a colour."), _m("assistant", "Blue."), _m("user", "Another one."),
                            _m("assistant", "Green.")],
    "whitespace": [_m("system", "  Be kind.\n"), _m("user", "\t spaced out \n\n"),
                   _m("assistant", "\u00a0reply with nbsp and ideographic space\u3000"), _m("user", "ok\u2028")],
    "unicode": [_m("user", "Grüß dich, 世界 👋 — «ça va?»")],
    "reasoning": [_m("user", "Think: 3*7?"), _m("assistant", "<think>\n3*7 = 21\n</think>\n\n21"),
                  _m("user", "And 4*5?")],
    "empty_system": [_m("system", ""), _m("user", "No system text.")],
    "no_alternation": [_m("user", "one"), _m("user", "two")],
    "system_only": [_m("system", "Only a system message.")],
    # SmolLM3 reads "/no_think" and "/think" out of the system message; its assistant turns drop
    # leading newlines.
    "no_think": [_m("system", "Be brief. /no_think  "), _m("user", "2+2?"), _m("assistant", "\n\n4"),
                 _m("user", "3+3?")],
    "think_only": [_m("system", "/think"), _m("user", "Why is the sky blue?")],
    # A system message after the first turn: some templates write it as a turn, some raise.
    "late_system": [_m("user", "Hi"), _m("assistant", "Hello."), _m("system", "Now answer in German."),
                    _m("user", "Thanks")],
    # An empty reply (Mistral v7 raises on it).
    "empty_reply": [_m("user", "Say nothing."), _m("assistant", ""), _m("user", "Now say hi.")],
    # Qwen3 does not count a user turn that is a tool response as the last question: the reply
    # before it keeps its reasoning.
    "tool_response_text": [_m("user", "What is 6*7?"), _m("assistant", "<think>\nmultiply\n</think>\n\nLet me check."),
                           _m("user", "<tool_response>\n42\n</tool_response>")],
}
