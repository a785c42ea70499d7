"""Chat: chat templates and multi-turn conversations (lh_chat_format, lh_chat_*)."""

import threading

from . import longheads_native as _native
from . import _interrupt
from . import _options as _opt
from ._model import _next_piece

__all__ = ["Chat", "format_messages"]


def _decode(data):
    return data.decode("utf-8", errors="replace")


def _text(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("{} must be str or bytes, not {}".format(what, type(value).__name__))


def _template(template):
    return b"" if template is None else _text(template, "template")


def _native_messages(messages):
    out = _native.NativeChatMessages()
    for i, m in enumerate(messages):
        if isinstance(m, dict):
            role, content = m.get("role"), m.get("content")
        else:
            role, content = m
        out.add(_text(role, "message {} role".format(i)), _text(content, "message {} content".format(i)))
    return out


def format_messages(native_model, messages, add_assistant=True, template=None):
    return _decode(native_model.chat_format(_native_messages(messages), bool(add_assistant), _template(template)))


class Chat:
    """A multi-turn conversation on a :class:`Context`, formatted with a chat template.

    ``Chat(context, system=None, template=None)``: ``template`` None uses the model's own
    ``tokenizer.chat_template``; a family name ("chatml", "llama3.1", ...) or a template's text
    chooses another. :meth:`send` adds a user message and returns the reply; :meth:`stream`
    yields the reply's pieces. The KV cache is kept between turns: each turn evaluates only the
    text it adds (see :attr:`last_prompt`). Generation keywords as in :meth:`Model.generate`.
    """

    def __init__(self, context, *, system=None, template=None, owns_context=False):
        self._context = context
        self._owns_context = owns_context
        self._native = _native.NativeChat(context._native, _template(template), b"" if system is None else
                                    _text(system, "system"))
        self._lock = threading.Lock()

    def send(self, text, **kwargs):
        """Sends a user message and returns the whole reply. Ctrl-C ends the reply early: the
        text generated until then is returned (and kept in :attr:`messages`)."""
        native = self._start(text, kwargs)
        pieces = []

        def step():  # runs in the helper thread, so a Ctrl-C cannot come between next and append
            more = native.next()
            if more:
                pieces.append(native.piece())
            return more

        with self._lock:
            _interrupt.pull_all(step, native.cancel)
        return _decode(b"".join(pieces))

    def stream(self, text, **kwargs):
        """Sends a user message and yields the reply's text pieces as they are generated."""
        return self._pieces(self._start(text, kwargs))

    def _start(self, text, kwargs):
        gen, sampling, stop = _opt.generate_args(kwargs, "Chat.send")
        native = self._native
        with self._lock:
            _interrupt.run(lambda: native.send(_text(text, "text"), gen, sampling, stop), native.cancel)
        return native

    def _pieces(self, native):
        # The facade's one stream loop: non-empty pieces of valid UTF-8, the final flush included.
        while True:
            with self._lock:
                (more, piece), _ = _interrupt.run(lambda: _next_piece(native), native.cancel)
                if not more:
                    return
            yield _decode(piece)

    @property
    def messages(self):
        """The conversation so far: a list of {"role", "content"} dicts."""
        n = self._native.n_messages()
        return [{"role": _decode(self._native.message_role(i)), "content": _decode(self._native.message_content(i))}
                for i in range(n)]

    @property
    def last_prompt(self):
        """(tokens the last send evaluated, tokens it kept from the KV cache)."""
        return self._native.last_evaluated(), self._native.last_reused()

    @property
    def stop_reason(self):
        """Why the last reply ended (a :class:`StopReason`)."""
        return self._native.stop_reason()

    @property
    def context(self):
        """The :class:`Context` the conversation runs in."""
        return self._context

    def cancel(self):
        """Asks the running reply to stop soon; safe from another thread."""
        self._native.cancel()

    def close(self):
        """Frees the conversation (and the context :meth:`Model.chat` made for it)."""
        native, self._native = getattr(self, "_native", None), None
        if native is not None:
            native.close()
        if self._owns_context and self._context is not None:
            self._context.close()

    @property
    def closed(self):
        return self._native is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
