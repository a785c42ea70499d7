"""The C API's parameter structs and enums, as the native layer wraps them.

Nothing here lists a parameter: keyword arguments are set on the wrapped C structs field by
field (a field added to include/longheads/longheads.h is a keyword of the Python API with no
change here), values are checked by the library, and the enums are IntEnum classes built from
the library's own name functions (lh_<enum>_name / lh_<enum>_from_name).
"""

import enum

from . import longheads_native as _native


class _NamedEnum(enum.IntEnum):
    """An IntEnum that also accepts a name: ``Attention("longheads")``, ``PrefillMode("token")``
    (the library's names, any case, '-' for '_', and its aliases)."""

    @classmethod
    def _missing_(cls, value):
        if isinstance(value, str):
            return cls(int(cls._from_name(value)))  # InvalidArgumentError names the valid names
        return None

    @classmethod
    def coerce(cls, value, what):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError("{} must be a str or {}, not {}".format(what, cls.__name__, type(value).__name__))
        try:
            return cls(value)
        except ValueError as e:
            raise type(e)("{}: {}".format(what, e)) from None


def _enum_classes():
    """One IntEnum per enum of the C API, named like the bindings of the other languages
    (Attention, PrefillMode, KvType, ...); members are the library's canonical names."""
    classes = {}
    for attr in dir(_native):
        if not attr.endswith("_from_name"):
            continue
        short = attr[: -len("_from_name")]
        name_of = getattr(_native, short + "_name")
        members, value = [], 0
        while name_of(value) is not None:
            members.append((name_of(value).upper(), value))
            value += 1
        cls = _NamedEnum("".join(w.capitalize() for w in short.split("_")), members, module=__name__)
        cls._from_name = staticmethod(getattr(_native, attr))
        cls.__doc__ = "The C API's lh_{} values.".format(short)
        classes[cls.__name__] = cls
    return classes


ENUMS = _enum_classes()
_native._set_enum_classes(ENUMS)


def _fields(struct):
    return tuple(k for k, v in vars(struct).items() if isinstance(v, property) and k != "thisown")


MODEL_KEYS = _fields(_native.ModelOptions)
CONTEXT_KEYS = _fields(_native.ContextOptions)
SAMPLER_KEYS = _fields(_native.SamplerOptions)
GENERATE_KEYS = _fields(_native.GenerateOptions) + ("stop",) + SAMPLER_KEYS
INFO_KEYS = _fields(_native.ModelInfo)
assert not set(CONTEXT_KEYS) & set(GENERATE_KEYS), "a keyword would be ambiguous"


def check_keys(kwargs, allowed, where):
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise TypeError("{}() got an unexpected keyword argument {!r}".format(where, unknown[0]))


def make(struct, kwargs, where):
    """A C parameter struct with the library's defaults, then the given fields. Types are
    checked here (TypeError / OverflowError naming the field); values by the library when it
    uses the struct (InvalidArgumentError)."""
    check_keys(kwargs, _fields(struct), where)
    params = struct()
    for key, value in kwargs.items():
        try:
            setattr(params, key, value)
        except (TypeError, OverflowError, ValueError) as e:
            raise type(e)("{}: {}".format(key, e)) from None
    return params


def as_dict(params):
    return {key: getattr(params, key) for key in _fields(type(params))}


def generate_args(kwargs, where):
    """(GenerateOptions, SamplerOptions, stop strings) from generation keywords."""
    check_keys(kwargs, GENERATE_KEYS, where)
    stop = kwargs.get("stop") or ()
    if isinstance(stop, (str, bytes)):
        stop = [stop]
    gen = make(_native.GenerateOptions, {k: v for k, v in kwargs.items() if k in _fields(_native.GenerateOptions)},
               where)
    sampling = make(_native.SamplerOptions, {k: v for k, v in kwargs.items() if k in SAMPLER_KEYS}, where)
    return gen, sampling, list(stop)


def split_kwargs(kwargs, where):
    """Splits Model.generate/stream keywords into (context, generation) keyword dicts."""
    check_keys(kwargs, CONTEXT_KEYS + GENERATE_KEYS, where)
    ctx = {k: v for k, v in kwargs.items() if k in CONTEXT_KEYS}
    gen = {k: v for k, v in kwargs.items() if k in GENERATE_KEYS}
    return ctx, gen


def index(name, value):
    """An int argument (anything with __index__, not bool)."""
    if isinstance(value, bool):
        raise TypeError("{} must be an int, not bool".format(name))
    try:
        return value.__index__()
    except AttributeError:
        raise TypeError("{} must be an int, not {}".format(name, type(value).__name__)) from None
