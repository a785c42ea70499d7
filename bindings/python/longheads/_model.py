"""Model, Context, Sampler and Stream: the Python face of the longheads C API."""

import array
import collections
import os
import threading

from . import longheads_native as _native
from . import _interrupt
from . import _options as _opt

try:  # logits come back as numpy arrays when numpy is installed
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None

__all__ = ["Model", "Context", "Sampler", "Stream", "ModelInfo", "TensorInfo"]

_DETOK_RENDER_SPECIAL = 1
_DETOK_REMOVE_SPECIAL = 2

ModelInfo = collections.namedtuple("ModelInfo", ("architecture", "name") + _opt.INFO_KEYS)
ModelInfo.__doc__ = "Hyper-parameters and sizes of a loaded model (lh_model_info; see Model.info)."

TensorInfo = collections.namedtuple("TensorInfo", "name type dims")
TensorInfo.__doc__ = "One weight tensor: its GGUF name, type name ('f32', 'q4_K', ...) and dims (fastest first)."


def _decode(data):
    return data.decode("utf-8", errors="replace")


def _token_list(tokens, what="tokens"):
    if isinstance(tokens, (str, bytes)):
        raise TypeError("{} must be a sequence of ints, not {}".format(what, type(tokens).__name__))
    if _np is not None and isinstance(tokens, _np.ndarray):
        tokens = tokens.tolist()
    return tokens


def _logits_value(raw):
    if _np is not None:
        return _np.frombuffer(raw, dtype=_np.float32)
    out = array.array("f")
    out.frombytes(bytes(raw))
    return out.tolist()


def _check_prompt(prompt):
    if not isinstance(prompt, (str, bytes)):
        raise TypeError("prompt must be str or bytes, not {}".format(type(prompt).__name__))


class _NativeHandle:
    """Life cycle shared by the objects that own a native handle (``self._native``): close
    once, ``closed``, and use as a context manager that closes on exit."""

    def close(self):
        """Releases the native object. Calling it twice is a no-op."""
        native = getattr(self, "_native", None)
        if native is not None:
            native.close()

    @property
    def closed(self):
        """True after :meth:`close`."""
        return self._native.closed()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Model(_NativeHandle):
    """A Llama-family GGUF model loaded into memory.

    ``Model(path, **options)`` loads the file; the keywords are the fields of the C API's
    ``lh_model_params`` (``precision`` as a :class:`Precision` or its name, ``n_threads``).
    Use it as a context manager or call :meth:`close`. A model is immutable and may be shared by
    any number of :class:`Context` objects on any threads; contexts keep it alive after
    ``close()``.

    Raises :class:`longheads.Error` when the file is missing (``status == Status.IO``),
    malformed (``Status.BAD_FORMAT``) or unsupported (``Status.UNSUPPORTED``).
    """

    def __init__(self, path, **options):
        params = _opt.make(_native.ModelOptions, options, "Model")
        self._path = os.fspath(path)
        self._native = _native.NativeModel(os.fsencode(self._path), params)

    def __enter__(self):
        self._native.info()  # raises if closed
        return self

    def __repr__(self):
        if self.closed:
            return "<longheads.Model {!r} (closed)>".format(self._path)
        return "<longheads.Model {!r} {} n_vocab={} n_layer={} n_ctx_train={}>".format(
            self._path, self.architecture, self.n_vocab, self.n_layer, self.n_ctx_train)

    # -- information -------------------------------------------------------------------
    @property
    def path(self):
        """The path the model was loaded from."""
        return self._path

    @property
    def info(self):
        """All hyper-parameters as a :class:`ModelInfo` named tuple (the fields of
        ``lh_model_info``, plus ``architecture`` and ``name``)."""
        i = self._native.info()
        values = {key: getattr(i, key) for key in _opt.INFO_KEYS}
        return ModelInfo(architecture=_decode(self._native.architecture()), name=_decode(self._native.name()),
                         **values)

    architecture = property(lambda self: _decode(self._native.architecture()),
                            doc="general.architecture ('llama').")
    name = property(lambda self: _decode(self._native.name()), doc="general.name, or ''.")
    n_vocab = property(lambda self: self._native.info().n_vocab, doc="Vocabulary size.")
    n_ctx_train = property(lambda self: self._native.info().n_ctx_train, doc="The trained context window T.")
    n_embd = property(lambda self: self._native.info().n_embd, doc="Embedding width.")
    n_layer = property(lambda self: self._native.info().n_layer, doc="Number of layers.")
    n_head = property(lambda self: self._native.info().n_head, doc="Query heads per layer.")
    n_head_kv = property(lambda self: self._native.info().n_head_kv, doc="Key/value heads per layer.")
    bos = property(lambda self: self._native.info().bos_token if self._native.info().bos_token >= 0 else None,
                   doc="The BOS token id, or None.")
    eos = property(lambda self: self._native.info().eos_token if self._native.info().eos_token >= 0 else None,
                   doc="The EOS token id, or None.")

    def metadata(self, key):
        """A GGUF metadata value rendered as text ("512", "llama", "[array of 512 string]").

        Raises :class:`longheads.InvalidArgumentError` if the key is absent."""
        if not isinstance(key, str):
            raise TypeError("key must be a str, not {}".format(type(key).__name__))
        return _decode(self._native.meta(key))

    def tensors(self):
        """The model's weight tensors as a list of :class:`TensorInfo`."""
        n = self._native.tensor_count()
        return [TensorInfo(_decode(self._native.tensor_name(i)), _decode(self._native.tensor_type(i)),
                           tuple(self._native.tensor_dims(i))) for i in range(n)]

    # -- tokens ------------------------------------------------------------------------
    def tokenize(self, text, add_bos=True, parse_special=False):
        """Token ids of ``text`` (str, or UTF-8 bytes).

        ``add_bos`` puts the BOS token first when the vocabulary has one; ``parse_special``
        turns control-token texts such as "<s>" into their ids."""
        if not isinstance(text, (str, bytes)):
            raise TypeError("text must be str or bytes, not {}".format(type(text).__name__))
        return self._native.tokenize(text, bool(add_bos), bool(parse_special))

    def detokenize(self, tokens, render_special=False, remove_special=False):
        """The text of token ids (SentencePiece rules as llama.cpp applies them).

        ``render_special`` renders control tokens as their text ("<s>"); ``remove_special``
        drops a leading BOS / trailing EOS. Out-of-range ids raise
        :class:`longheads.InvalidArgumentError`."""
        flags = (_DETOK_RENDER_SPECIAL if render_special else 0) | (_DETOK_REMOVE_SPECIAL if remove_special else 0)
        return _decode(self._native.detokenize(_token_list(tokens), flags))

    def token_piece(self, token):
        """The raw bytes of one token's piece (``bytes``: byte-fallback tokens are one byte)."""
        return self._native.token_piece(_opt.index("token", token))

    def is_eog(self, token):
        """True if ``token`` ends generation (EOS or another end-of-generation token)."""
        return self._native.token_is_eog(_opt.index("token", token))

    # -- contexts and generation -------------------------------------------------------
    def context(self, **params):
        """A new :class:`Context` over this model; see :class:`Context` for the parameters."""
        return Context(self, **params)

    def chat_format(self, messages, add_assistant=True, template=None):
        """The prompt text of ``messages`` (dicts with "role" and "content", or (role, content)
        pairs; roles "system", "user", "assistant") with the model's chat template, or
        ``template`` (a family name such as "chatml" or a Jinja template's text).
        ``add_assistant`` appends the assistant's prefix so the model replies."""
        from ._chat import format_messages
        return format_messages(self._native, messages, add_assistant, template)

    def chat_template_family(self, template=None):
        """The template family ("llama3.1", "chatml", ...) of the model's (or ``template``'s) template."""
        from ._chat import _template
        return _decode(self._native.chat_template_family(_template(template)))

    def chat(self, *, system=None, template=None, **params):
        """A :class:`Chat` in a context of its own (context keywords as in :class:`Context`),
        freed with the chat."""
        from ._chat import Chat
        _opt.check_keys(params, _opt.CONTEXT_KEYS, "chat")
        ctx = Context(self, **params)
        try:
            return Chat(ctx, system=system, template=template, owns_context=True)
        except BaseException:
            ctx.close()
            raise

    def estimate_kv_bytes(self, n_tokens, **params):
        """Bytes the KV cache of a context with these parameters would take at ``n_tokens``."""
        p = _opt.make(_native.ContextOptions, params, "estimate_kv_bytes")
        return self._native.estimate_kv_bytes(p, _opt.index("n_tokens", n_tokens))

    def generate(self, prompt, **kwargs):
        """Generates a completion of ``prompt`` in a fresh context and returns its text.

        Keywords: the fields of ``lh_generate_params`` (``max_tokens`` 128, ``add_bos``,
        ``stop_at_eog``), of ``lh_sampler_params`` (``temperature`` 0.8 — <= 0 is greedy —,
        ``top_k``, ``top_p``, ``min_p``, ``repeat_penalty``, ``repeat_last_n``, ``seed``),
        ``stop`` (a list of strings; the first one to appear ends the text, excluded), and the
        context's (see :class:`Context`). Ctrl-C (or :meth:`Context.cancel`) ends the
        generation early: the text generated until then is returned.
        """
        ctx_kw, gen_kw = _opt.split_kwargs(kwargs, "generate")
        with Context(self, **ctx_kw) as ctx:
            return ctx.generate(prompt, **gen_kw)

    def stream(self, prompt, **kwargs):
        """Like :meth:`generate`, but returns a :class:`Stream`: an iterator of text pieces.

        Breaking out of the loop (or closing the stream) stops the generation."""
        ctx_kw, gen_kw = _opt.split_kwargs(kwargs, "stream")
        ctx = Context(self, **ctx_kw)
        try:
            return ctx._stream(prompt, gen_kw, owns_context=True)
        except BaseException:
            ctx.close()
            raise


class Context(_NativeHandle):
    """A KV cache plus an attention configuration, over one :class:`Model`.

    ``Context(model, **params)``: the keywords are the fields of the C API's
    ``lh_context_params`` (``n_ctx``, ``n_threads``, ``n_batch``, ``attention``,
    ``chunk_size``, ``attn_len``, ``begin_len``, ``n_sinks``, ``prefill_mode``, ``kv_type``,
    ``chunk_score``, ``local_chunks``, ``memory_budget_bytes``, ...); enums as their
    :class:`Attention`, ... value or name ("longheads"); zeros mean the library's defaults. ``params`` gives
    them all, resolved.

    A context is used by one thread at a time (another thread gets ``Status.BUSY``);
    :meth:`cancel` may be called from any thread. It keeps its model alive.
    """

    def __init__(self, model, **params):
        if not isinstance(model, Model):
            raise TypeError("model must be a longheads.Model, not {}".format(type(model).__name__))
        self._model = model
        self._native = _native.NativeContext(model._native, _opt.make(_native.ContextOptions, params, "Context"))

    def __enter__(self):
        self._native.n_past()  # raises if closed
        return self

    def __repr__(self):
        if self.closed:
            return "<longheads.Context (closed)>"
        p = self.params
        return "<longheads.Context n_ctx={} n_past={} attention={}>".format(
            p["n_ctx"], self.n_past, p["attention"].name.lower())

    @property
    def model(self):
        """The :class:`Model` this context runs."""
        return self._model

    @property
    def params(self):
        """The effective parameters (defaults resolved) as a dict."""
        return _opt.as_dict(self._native.params())

    @property
    def n_ctx(self):
        """Maximum number of tokens the context holds."""
        return self._native.n_ctx()

    @property
    def n_past(self):
        """Number of tokens currently in the context."""
        return self._native.n_past()

    @property
    def n_vocab(self):
        """Number of logits per token."""
        return self._native.n_vocab()

    def reset(self):
        """Forgets all tokens (the KV cache stays allocated)."""
        self._native.reset()

    def eval(self, tokens, all_logits=False):
        """Appends ``tokens`` and runs the model over them.

        Afterwards :meth:`logits` gives the logits of the last token (of every token of this
        call with ``all_logits=True``). Out-of-range ids raise
        :class:`longheads.InvalidArgumentError` and more tokens than fit raise
        :class:`longheads.Error` with ``Status.CONTEXT_FULL``; nothing is evaluated then.
        Ctrl-C stops the evaluation within milliseconds and raises KeyboardInterrupt (the
        batches evaluated before stay in the context, see ``n_past``)."""
        ids = _token_list(tokens)
        native = self._native
        _interrupt.run(lambda: native.eval(ids, bool(all_logits)), native.cancel)

    @property
    def tokens(self):
        """The tokens the context holds, in order (BOS included)."""
        return self._native.tokens()

    def eval_reuse(self, tokens):
        """Makes the context hold exactly ``tokens``, evaluating only what differs from what it
        holds (the longest common prefix is kept, as llama.cpp's prompt cache); returns the
        number of tokens kept. The last token's logits are available afterwards."""
        ids = _token_list(tokens)
        native = self._native
        reused, _ = _interrupt.run(lambda: native.eval_reuse(ids), native.cancel)
        return reused

    def truncate(self, n_keep):
        """Keeps the first ``n_keep`` tokens and forgets the rest."""
        self._native.truncate(_opt.index("n_keep", n_keep))

    def fork(self):
        """An independent :class:`Context` holding a copy of what this one holds (same
        parameters), so several questions can branch from one evaluated document."""
        return Context._wrap(self._model, self._native.fork())

    def save(self, path):
        """Writes the context (tokens, KV cache, LongHeads state) to a file that
        :meth:`Context.load` reads back; the same context always gives the same bytes."""
        self._native.save(os.fsencode(path))

    @classmethod
    def load(cls, model, path, **params):
        """A context holding what :meth:`save` wrote, for the same ``model``; it answers as the
        saved context did. Without keywords, the saved parameters; keywords as in
        :class:`Context` (attention fields must equal the saved ones; ``n_ctx`` 0 = saved).
        Raises :class:`longheads.Error` (``Status.IO``, ``Status.BAD_FORMAT``) or
        :class:`longheads.InvalidArgumentError` (another model, other attention)."""
        if not isinstance(model, Model):
            raise TypeError("model must be a longheads.Model, not {}".format(type(model).__name__))
        file = os.fsencode(path)
        if params:
            native = _native.NativeContext.load(model._native, file,
                                                _opt.make(_native.ContextOptions, params, "Context.load"))
        else:
            native = _native.NativeContext.load(model._native, file)
        return cls._wrap(model, native)

    @staticmethod
    def file_params(path):
        """The parameters (a dict, as :attr:`params`) a saved context was made with, read from
        its file's header."""
        return _opt.as_dict(_native.NativeContext.file_params(os.fsencode(path)))

    @classmethod
    def _wrap(cls, model, native):
        ctx = cls.__new__(cls)
        ctx._model = model
        ctx._native = native
        return ctx

    def logits(self, index=-1):
        """Logits of token ``index`` of the last :meth:`eval` (-1: its last token): a float32
        numpy array of ``n_vocab`` values when numpy is installed, else a list."""
        return _logits_value(self._native.logits(_opt.index("index", index)))

    def sample(self, sampler=None, index=-1):
        """Chooses a token from the logits of token ``index`` of the last :meth:`eval` with
        ``sampler`` (a :class:`Sampler`; None = greedy)."""
        if sampler is not None and not isinstance(sampler, Sampler):
            raise TypeError("sampler must be a longheads.Sampler, not {}".format(type(sampler).__name__))
        return self._native.sample(sampler._native if sampler else None, _opt.index("index", index))

    def cancel(self):
        """Asks a running eval/generation on this context to stop soon; safe from any thread.
        An eval raises :class:`longheads.Error` with ``Status.CANCELLED``; a generation ends
        (``StopReason.CANCELLED``) with the text generated until then."""
        self._native.cancel()

    def generate(self, prompt, **kwargs):
        """Generates a completion of ``prompt`` (appended to what the context holds) and
        returns its text. Keywords as in :meth:`Model.generate` (generation keywords only)."""
        with self._stream(prompt, kwargs, owns_context=False, where="generate") as stream:
            stream._pull_to_end()
            return stream.text

    def stream(self, prompt, **kwargs):
        """Like :meth:`generate`, but returns a :class:`Stream` of text pieces."""
        return self._stream(prompt, kwargs, owns_context=False)

    def _stream(self, prompt, gen_kwargs, owns_context, where="stream"):
        _check_prompt(prompt)
        gen, sampling, stop = _opt.generate_args(gen_kwargs, where)
        native = self._native
        generation, _ = _interrupt.run(lambda: native.start(prompt, gen, sampling, stop), native.cancel)
        return Stream(self, generation, owns_context)


class Sampler(_NativeHandle):
    """Chooses tokens from logits: ``Sampler(**params)`` with the fields of the C API's
    ``lh_sampler_params`` (``temperature`` 0.8 — <= 0 is greedy —, ``top_k`` 40, ``top_p``
    0.95, ``min_p`` 0.05, ``repeat_penalty`` 1.0, ``repeat_last_n`` 64, ``seed``). The same
    seed gives the same choices."""

    def __init__(self, **params):
        self._native = _native.NativeSampler(_opt.make(_native.SamplerOptions, params, "Sampler"))

    def sample(self, logits, index=-1):
        """Chooses a token from ``logits`` (a sequence / float32 array of n_vocab values) or
        from a :class:`Context`'s logits of token ``index``, and remembers it for the
        repetition penalty."""
        if isinstance(logits, Context):
            return logits.sample(self, index)
        if _np is not None and isinstance(logits, _np.ndarray):
            logits = _np.ascontiguousarray(logits, dtype=_np.float32)
        return self._native.sample(logits)

    def accept(self, tokens):
        """Tells the sampler about tokens it did not choose (e.g. the prompt)."""
        self._native.accept(_token_list(tokens))


def _next_piece(gen):
    """One step of a native generation or chat: (more, the step's piece as bytes)."""
    more = gen.next()
    return more, (gen.piece() if more else b"")


class Stream:
    """An iterator over the text pieces of a running generation.

    Iterating pulls one piece at a time from the library (the GIL is released meanwhile);
    pieces are non-empty ``str``. Breaking out of the loop leaves the generation stopped:
    no more tokens are computed; :meth:`close` (or leaving a ``with`` block, or garbage
    collection) frees it. Ctrl-C while a piece is computed (or :meth:`cancel`) ends the
    generation: the text held back so far is the last piece and :attr:`stop_reason` is
    ``StopReason.CANCELLED``. A Ctrl-C that lands in the loop's own code raises
    KeyboardInterrupt there as usual; :attr:`text` still holds the text so far.

    Attributes: ``tokens`` (ids generated so far), ``text`` (text so far), ``stop_reason``.
    """

    def __init__(self, context, native_generation, owns_context):
        self._context = context
        self._gen = native_generation
        self._owns_context = owns_context
        self._lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:
            gen = self._gen
            if gen.closed():
                raise StopIteration
            # The piece is read in the helper thread too, which keeps the window where Ctrl-C
            # lands in Python code (and raises in the caller's loop) to a few bytecodes.
            (more, piece), _ = _interrupt.run(lambda: _next_piece(gen), gen.cancel)
            if not more:
                self._release()
                raise StopIteration
            return _decode(piece)

    def _pull_to_end(self):
        # generate(): every Ctrl-C becomes a cancel; the text is read from the generation after.
        with self._lock:
            gen = self._gen
            if not gen.closed():
                _interrupt.pull_all(gen.next, gen.cancel)

    @property
    def tokens(self):
        """The ids of the tokens generated so far."""
        return list(self._gen.tokens())

    @property
    def text(self):
        """The text generated so far."""
        return _decode(self._gen.text())

    @property
    def stop_reason(self):
        """A :class:`StopReason` once the generation ended; ``StopReason.NONE`` while it runs
        or if it was closed before its end."""
        return self._gen.stop_reason()

    @property
    def context(self):
        """The :class:`Context` the generation runs in."""
        return self._context

    def cancel(self):
        """Asks the generation to stop soon; safe from another thread."""
        self._gen.cancel()

    def close(self):
        """Stops and frees the generation (and the context :meth:`Model.stream` made for it).
        Calling it twice is a no-op."""
        with self._lock:
            self._release()

    def _release(self):
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()
        if getattr(self, "_owns_context", False) and self._context is not None:
            self._context.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self._release()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
