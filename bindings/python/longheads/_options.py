"""Keyword arguments -> parameter structs, and the enums they use."""

import enum
import math
import numbers
import operator

from . import longheads_native as _native

__all__ = ["Attention", "Precision", "PrefillMode", "KVType", "ChunkScore", "StopReason"]


class _NamedEnum(enum.IntEnum):
    """An IntEnum that also accepts its lower-case name ("longheads")."""

    @classmethod
    def coerce(cls, value, what):
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper().replace("-", "_")]
            except KeyError:
                names = ", ".join(repr(m.name.lower()) for m in cls)
                raise ValueError("{} must be one of {}, not {!r}".format(what, names, value)) from None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError("{} must be a str or {}, not {}".format(what, cls.__name__, type(value).__name__))
        try:
            return cls(int(value))
        except ValueError:
            raise ValueError("{} {!r} is not a valid {}".format(what, value, cls.__name__)) from None


class Attention(_NamedEnum):
    """How a context attends to its past (``lh_attention``)."""

    FULL = 0       #: ordinary causal attention at true positions
    WINDOW = 1     #: attention sinks + recent tokens (StreamingLLM)
    LONGHEADS = 2  #: per-head chunk selection (LongHeads)


class Precision(_NamedEnum):
    """How weights are held after loading (``lh_precision``)."""

    F32 = 0
    BF16 = 1


class PrefillMode(_NamedEnum):
    """LongHeads prefill (``lh_prefill_mode``)."""

    PER_TOKEN = 0
    BLOCK = 1
    TOKEN = 0  # alias, as the CLI spells it


class KVType(_NamedEnum):
    """Element type of the KV cache (``lh_kv_type``)."""

    F32 = 0
    BF16 = 1
    Q8 = 2  #: int8 with one scale per token and head


class ChunkScore(_NamedEnum):
    """How a LongHeads query head scores candidate chunks (``lh_chunk_score``)."""

    FAITHFUL = 0  #: the paper's rule: q (before RoPE) . c_j
    MAX_KEY = 1   #: max over the chunk's tokens of R(w-1)q . k~_i; O(w) per chunk
    MAX = 1       # alias, as the CLI spells it
    BOUND = 2     #: channel-wise key bounds of the chunk (Quest); O(1) per chunk


class StopReason(enum.IntEnum):
    """Why a generation ended (``lh_stop_reason``)."""

    NONE = 0
    MAX_TOKENS = 1
    EOG = 2
    STRING = 3
    CONTEXT_FULL = 4
    CANCELLED = 5


def _int(name, value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError("{} must be an int, not {}".format(name, type(value).__name__)) from None
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError("{} must be >= {}, got {}".format(name, minimum, value))
    if value > 2**31 - 1:
        raise ValueError("{} is too large: {}".format(name, value))
    return value


def _float(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("{} must be a number, not {}".format(name, type(value).__name__))
    value = float(value)
    if math.isnan(value):
        raise ValueError("{} must not be NaN".format(name))
    return value


def _bool(name, value):
    if not isinstance(value, (bool, numbers.Integral)):
        raise TypeError("{} must be a bool, not {}".format(name, type(value).__name__))
    return bool(value)


MODEL_KEYS = ("precision", "n_threads")
CONTEXT_KEYS = ("n_ctx", "n_threads", "n_batch", "attention", "chunk_size", "attn_len", "begin_len", "n_sinks",
                "allow_attn_len_over_trained", "prefill_mode", "kv_type", "memory_budget_bytes", "chunk_score",
                "local_chunks")
SAMPLER_KEYS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed")
GENERATE_KEYS = ("max_tokens", "stop", "add_bos", "stop_at_eog") + SAMPLER_KEYS


def check_keys(kwargs, allowed, where):
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise TypeError("{}() got an unexpected keyword argument {!r}".format(where, unknown[0]))


def model_params(precision="f32", n_threads=0):
    p = _native.ModelParams()
    p.precision = int(Precision.coerce(precision, "precision"))
    p.n_threads = _int("n_threads", n_threads, 0)
    return p


def context_params(n_ctx=0, n_threads=0, n_batch=0, attention="full", chunk_size=0, attn_len=0, begin_len=0,
                   n_sinks=0, allow_attn_len_over_trained=False, prefill_mode="per_token", kv_type="f32",
                   memory_budget_bytes=0, chunk_score="faithful", local_chunks=0):
    p = _native.ContextParams()
    p.n_ctx = _int("n_ctx", n_ctx, 0)
    p.n_threads = _int("n_threads", n_threads, 0)
    p.n_batch = _int("n_batch", n_batch, 0)
    p.attention = int(Attention.coerce(attention, "attention"))
    p.chunk_size = _int("chunk_size", chunk_size, 0)
    p.attn_len = _int("attn_len", attn_len, 0)
    p.begin_len = _int("begin_len", begin_len, 0)
    p.n_sinks = _int("n_sinks", n_sinks, 0)
    p.allow_attn_len_over_trained = _bool("allow_attn_len_over_trained", allow_attn_len_over_trained)
    p.prefill_mode = int(PrefillMode.coerce(prefill_mode, "prefill_mode"))
    p.kv_type = int(KVType.coerce(kv_type, "kv_type"))
    p.chunk_score = int(ChunkScore.coerce(chunk_score, "chunk_score"))
    p.local_chunks = _int("local_chunks", local_chunks, 0)
    budget = operator.index(memory_budget_bytes) if not isinstance(memory_budget_bytes, bool) else None
    if budget is None or budget < 0 or budget >= 2**63:
        raise ValueError("memory_budget_bytes must be an int in [0, 2**63)")
    p.memory_budget_bytes = budget
    return p


def context_params_dict(p):
    return {
        "n_ctx": p.n_ctx, "n_threads": p.n_threads, "n_batch": p.n_batch,
        "attention": Attention(p.attention), "chunk_size": p.chunk_size, "attn_len": p.attn_len,
        "begin_len": p.begin_len, "n_sinks": p.n_sinks,
        "allow_attn_len_over_trained": bool(p.allow_attn_len_over_trained),
        "prefill_mode": PrefillMode(p.prefill_mode), "kv_type": KVType(p.kv_type),
        "memory_budget_bytes": p.memory_budget_bytes, "chunk_score": ChunkScore(p.chunk_score),
        "local_chunks": p.local_chunks,
    }


_SAMPLER_DEFAULTS = _native.SamplerParams()


def fill_sampler(p, temperature=None, top_k=None, top_p=None, min_p=None, repeat_penalty=None, repeat_last_n=None,
                 seed=None):
    if temperature is not None:
        p.temperature = _float("temperature", temperature)
    if top_k is not None:
        p.top_k = _int("top_k", top_k)
    if top_p is not None:
        p.top_p = _float("top_p", top_p)
        if not 0.0 <= p.top_p <= 1.0:
            raise ValueError("top_p must be in [0, 1], got {}".format(top_p))
    if min_p is not None:
        p.min_p = _float("min_p", min_p)
        if not 0.0 <= p.min_p <= 1.0:
            raise ValueError("min_p must be in [0, 1], got {}".format(min_p))
    if repeat_penalty is not None:
        p.repeat_penalty = _float("repeat_penalty", repeat_penalty)
        if p.repeat_penalty <= 0.0:
            raise ValueError("repeat_penalty must be > 0, got {}".format(repeat_penalty))
    if repeat_last_n is not None:
        p.repeat_last_n = _int("repeat_last_n", repeat_last_n, 0)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError("seed must be an int, not {}".format(type(seed).__name__))
        seed = int(seed)
        if not -2**63 <= seed < 2**64:
            raise ValueError("seed must fit in 64 bits")
        if seed >= 2**63:  # the facade carries the uint64 bit pattern in an int64
            seed -= 2**64
        p.seed = seed
    return p


def sampler_params(**kwargs):
    return fill_sampler(_native.SamplerParams(), **kwargs)


def generate_params(max_tokens=None, stop=None, add_bos=None, stop_at_eog=None, **sampling):
    p = _native.GenerateParams()
    if max_tokens is not None:
        p.max_tokens = _int("max_tokens", max_tokens, 0)
    if stop is not None:
        if isinstance(stop, (str, bytes)):
            stop = [stop]
        for s in stop:
            if not isinstance(s, (str, bytes)):
                raise TypeError("stop strings must be str, not {}".format(type(s).__name__))
            if not s:
                raise ValueError("a stop string is empty")
            p.add_stop(s)
    if add_bos is not None:
        p.add_bos = _bool("add_bos", add_bos)
    if stop_at_eog is not None:
        p.stop_at_eog = _bool("stop_at_eog", stop_at_eog)
    s = p.sampling
    fill_sampler(s, **sampling)
    p.sampling = s
    return p


def split_kwargs(kwargs, where):
    """Splits Model.generate/stream keywords into (context, generation) keyword dicts."""
    check_keys(kwargs, CONTEXT_KEYS + GENERATE_KEYS, where)
    ctx = {k: v for k, v in kwargs.items() if k in CONTEXT_KEYS}
    gen = {k: v for k, v in kwargs.items() if k in GENERATE_KEYS}
    return ctx, gen
