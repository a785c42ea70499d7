"""Model, Context, Sampler and Stream: the Python face of the longheads C API."""

import array
import codecs
import collections
import os
import threading

from . import longheads_native as _native
from . import _options as _opt
from ._errors import Error, Status

try:  # logits come back as numpy arrays when numpy is installed
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None

__all__ = ["Model", "Context", "Sampler", "Stream", "ModelInfo", "TensorInfo"]

_DETOK_RENDER_SPECIAL = 1
_DETOK_REMOVE_SPECIAL = 2

ModelInfo = collections.namedtuple(
    "ModelInfo",
    "architecture name n_vocab n_ctx_train n_embd n_layer n_head n_head_kv n_ff n_rot head_dim rope_freq_base "
    "rms_norm_eps bos eos add_bos n_params file_bytes weight_bytes precision")
ModelInfo.__doc__ = "Hyper-parameters and sizes of a loaded model (see Model.info)."

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

    ``Model(path, precision="f32", n_threads=0)`` loads the file; use it as a context manager
    or call :meth:`close`. A model is immutable and may be shared by any number of
    :class:`Context` objects on any threads; contexts keep it alive after ``close()``.

    Raises :class:`longheads.Error` when the file is missing (``status == Status.IO``),
    malformed (``Status.BAD_FORMAT``) or unsupported (``Status.UNSUPPORTED``).
    """

    def __init__(self, path, *, precision="f32", n_threads=0):
        params = _opt.model_params(precision=precision, n_threads=n_threads)
        self._path = os.fspath(path)
        self._native = _native.Model(os.fsencode(self._path), params)

    # -- life cycle --------------------------------------------------------------------
    def close(self):
        """Releases the model (freed once no context uses it). Calling it twice is a no-op."""
        super().close()

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
        """All hyper-parameters as a :class:`ModelInfo` named tuple."""
        i = self._native.info()
        return ModelInfo(
            architecture=_decode(self._native.architecture()), name=_decode(self._native.name()),
            n_vocab=i.n_vocab, n_ctx_train=i.n_ctx_train, n_embd=i.n_embd, n_layer=i.n_layer, n_head=i.n_head,
            n_head_kv=i.n_head_kv, n_ff=i.n_ff, n_rot=i.n_rot, head_dim=i.head_dim,
            rope_freq_base=i.rope_freq_base, rms_norm_eps=i.rms_norm_eps,
            bos=i.bos_token if i.bos_token >= 0 else None, eos=i.eos_token if i.eos_token >= 0 else None,
            add_bos=bool(i.add_bos), n_params=i.n_params, file_bytes=i.file_bytes, weight_bytes=i.weight_bytes,
            precision=_opt.Precision(i.precision))

    architecture = property(lambda self: _decode(self._native.architecture()),
                            doc="general.architecture ('llama').")
    name = property(lambda self: _decode(self._native.name()), doc="general.name, or ''.")
    n_vocab = property(lambda self: self._native.info().n_vocab, doc="Vocabulary size.")
    n_ctx_train = property(lambda self: self._native.info().n_ctx_train, doc="The trained context window T.")
    n_embd = property(lambda self: self._native.info().n_embd, doc="Embedding width.")
    n_layer = property(lambda self: self._native.info().n_layer, doc="Number of layers.")
    n_head = property(lambda self: self._native.info().n_head, doc="Query heads per layer.")
    n_head_kv = property(lambda self: self._native.info().n_head_kv, doc="Key/value heads per layer.")
    n_ff = property(lambda self: self._native.info().n_ff, doc="Feed-forward width.")
    head_dim = property(lambda self: self._native.info().head_dim, doc="Dimensions per head.")
    n_params = property(lambda self: self._native.info().n_params, doc="Number of weights.")
    bos = property(lambda self: self.info.bos, doc="The BOS token id, or None.")
    eos = property(lambda self: self.info.eos, doc="The EOS token id, or None.")

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
        return self._native.token_piece(_opt._int("token", token))

    def is_eog(self, token):
        """True if ``token`` ends generation (EOS or another end-of-generation token)."""
        return self._native.token_is_eog(_opt._int("token", token))

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
        _opt.check_keys(params, _opt.CONTEXT_KEYS, "estimate_kv_bytes")
        return self._native.estimate_kv_bytes(_opt.context_params(**params), _opt._int("n_tokens", n_tokens, 0))

    def generate(self, prompt, **kwargs):
        """Generates a completion of ``prompt`` in a fresh context and returns its text.

        Generation keywords: ``max_tokens`` (128), ``temperature`` (0.8; <= 0 is greedy),
        ``top_k`` (40), ``top_p`` (0.95), ``min_p`` (0.05), ``repeat_penalty`` (1.0),
        ``repeat_last_n`` (64), ``seed``, ``stop`` (a list of strings; the first one to appear
        ends the text, excluded), ``add_bos`` (True), ``stop_at_eog`` (True).
        Context keywords (see :class:`Context`): ``attention`` ("full", "window",
        "longheads"), ``n_ctx``, ``chunk_size``, ``attn_len``, ``begin_len``, ``n_threads``,
        ``prefill_mode``, ``chunk_score`` ("faithful", "max_key", "bound"), ``local_chunks``, ...
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

    ``Context(model, n_ctx=0, n_threads=0, n_batch=0, attention="full", chunk_size=0,
    attn_len=0, begin_len=0, n_sinks=0, allow_attn_len_over_trained=False,
    prefill_mode="per_token", kv_type="f32", memory_budget_bytes=0, chunk_score="faithful",
    local_chunks=0)``;
    zeros mean the library's defaults (``n_ctx=0``: the model's trained context).
    ``attention="longheads"`` lets each head attend to ``attn_len`` tokens in chunks of
    ``chunk_size``, so contexts longer than the trained window work; ``chunk_score``
    ("faithful", "max_key" or "bound", see :class:`ChunkScore`) chooses how a head scores chunks
    and ``local_chunks`` how many of the most recent chunks it always keeps (0: 2).

    A context is used by one thread at a time (another thread gets ``Status.BUSY``);
    :meth:`cancel` may be called from any thread. It keeps its model alive.
    """

    def __init__(self, model, **params):
        if not isinstance(model, Model):
            raise TypeError("model must be a longheads.Model, not {}".format(type(model).__name__))
        _opt.check_keys(params, _opt.CONTEXT_KEYS, "Context")
        self._model = model
        self._native = _native.Context(model._native, _opt.context_params(**params))
        self._greedy = None

    def close(self):
        """Frees the KV cache (once no running stream uses it). Calling it twice is a no-op."""
        super().close()
        greedy, self._greedy = getattr(self, "_greedy", None), None
        if greedy is not None:
            greedy.close()

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
        return _opt.context_params_dict(self._native.params())

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
        :class:`longheads.Error` with ``Status.CONTEXT_FULL``; nothing is evaluated then."""
        self._native.eval(_token_list(tokens), bool(all_logits))

    def logits(self, index=-1):
        """Logits of token ``index`` of the last :meth:`eval` (-1: its last token): a float32
        numpy array of ``n_vocab`` values when numpy is installed, else a list."""
        return _logits_value(self._native.logits(_opt._int("index", index)))

    def sample(self, sampler=None, index=-1):
        """Chooses a token from the logits of token ``index`` of the last :meth:`eval` with
        ``sampler`` (a :class:`Sampler`; None = greedy)."""
        if sampler is None:
            if self._greedy is None:
                self._greedy = Sampler(temperature=0.0)
            sampler = self._greedy
        if not isinstance(sampler, Sampler):
            raise TypeError("sampler must be a longheads.Sampler, not {}".format(type(sampler).__name__))
        return sampler._native.sample_context(self._native, _opt._int("index", index))

    def cancel(self):
        """Asks a running eval/generation on this context to stop soon (it raises
        :class:`longheads.Error` with ``Status.CANCELLED``). Safe from any thread."""
        self._native.cancel()

    def generate(self, prompt, **kwargs):
        """Generates a completion of ``prompt`` (appended to what the context holds) and
        returns its text. Keywords as in :meth:`Model.generate` (generation keywords only)."""
        _opt.check_keys(kwargs, _opt.GENERATE_KEYS, "generate")
        _check_prompt(prompt)
        return _decode(self._native.generate(prompt, _opt.generate_params(**kwargs)))

    def stream(self, prompt, **kwargs):
        """Like :meth:`generate`, but returns a :class:`Stream` of text pieces."""
        _opt.check_keys(kwargs, _opt.GENERATE_KEYS, "stream")
        return self._stream(prompt, kwargs, owns_context=False)

    def _stream(self, prompt, gen_kwargs, owns_context):
        _check_prompt(prompt)
        params = _opt.generate_params(**gen_kwargs)
        return Stream(self, self._native.start(prompt, params), owns_context)


def _check_prompt(prompt):
    if not isinstance(prompt, (str, bytes)):
        raise TypeError("prompt must be str or bytes, not {}".format(type(prompt).__name__))


class Sampler(_NativeHandle):
    """Chooses tokens from logits: ``Sampler(temperature=0.8, top_k=40, top_p=0.95,
    min_p=0.05, repeat_penalty=1.0, repeat_last_n=64, seed=0xC0FFEE)``;
    ``temperature <= 0`` is greedy (argmax). The same seed gives the same choices."""

    def __init__(self, **params):
        _opt.check_keys(params, _opt.SAMPLER_KEYS, "Sampler")
        self._native = _native.Sampler(_opt.sampler_params(**params))

    def sample(self, logits, index=-1):
        """Chooses a token from ``logits`` (a sequence / float32 array of n_vocab values) or
        from a :class:`Context`'s logits of token ``index``, and remembers it for the
        repetition penalty."""
        if isinstance(logits, Context):
            return self._native.sample_context(logits._native, _opt._int("index", index))
        if _np is not None and isinstance(logits, _np.ndarray):
            logits = _np.ascontiguousarray(logits, dtype=_np.float32)
        return self._native.sample(logits)

    def accept(self, tokens):
        """Tells the sampler about tokens it did not choose (e.g. the prompt)."""
        self._native.accept(_token_list(tokens))


class Stream:
    """An iterator over the text pieces of a running generation.

    Iterating pulls one token at a time from the library (the GIL is released meanwhile);
    pieces are non-empty ``str``. Breaking out of the loop leaves the generation stopped:
    no more tokens are computed; :meth:`close` (or leaving a ``with`` block, or garbage
    collection) frees it. After the end, :attr:`stop_reason` says why it ended.

    Attributes: ``tokens`` (ids generated so far), ``text`` (text so far).
    """

    def __init__(self, context, native_generation, owns_context):
        self._context = context
        self._gen = native_generation
        self._owns_context = owns_context
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lock = threading.Lock()
        self._stop_reason = None
        self.tokens = []
        self._parts = []

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:
            while True:
                gen = self._gen
                if gen is None:
                    raise StopIteration
                if not gen.next():
                    self._stop_reason = _opt.StopReason(gen.stop_reason())
                    # The last call may still carry text held back until the end.
                    tail = self._decoder.decode(gen.piece(), final=True)
                    self._release()
                    if tail:
                        self._parts.append(tail)
                        return tail
                    raise StopIteration
                self.tokens.append(gen.token())
                text = self._decoder.decode(gen.piece())
                if text:
                    self._parts.append(text)
                    return text

    @property
    def text(self):
        """The text generated so far."""
        return "".join(self._parts)

    @property
    def stop_reason(self):
        """A :class:`StopReason` once the generation ended; None while it runs or if it was
        closed early."""
        return self._stop_reason

    @property
    def context(self):
        """The :class:`Context` the generation runs in."""
        return self._context

    def cancel(self):
        """Asks the generation to stop soon; safe from another thread."""
        gen = self._gen
        if gen is not None:
            gen.cancel()

    def close(self):
        """Stops and frees the generation (and the context :meth:`Model.stream` made for it).
        Calling it twice is a no-op."""
        with self._lock:
            self._release()

    def _release(self):
        gen, self._gen = getattr(self, "_gen", None), None
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
