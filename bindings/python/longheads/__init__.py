"""longheads: Llama-family GGUF inference on the CPU, with LongHeads attention for contexts
longer than a model was trained on.

    import longheads

    with longheads.Model("models/stories260K.gguf") as model:
        print(model.generate("Once upon a time", max_tokens=32, temperature=0))
        for piece in model.stream("Once upon a time", max_tokens=32):
            print(piece, end="", flush=True)

Public names: :class:`Model`, :class:`Context`, :class:`Sampler`, :class:`Stream`, :class:`Chat`,
:class:`Error` (and :class:`InvalidArgumentError`), :class:`Status`, the enums
:class:`Attention`, :class:`Precision`, :class:`PrefillMode`, :class:`KvType` (also
``KVType``), :class:`ChunkScore`, :class:`StopReason`, :func:`version` and :func:`cpu_level`.

This package wraps the library's stable C API (through a SWIG-generated extension module,
``longheads._longheads_native``); long calls release the GIL, and Ctrl-C cancels them.
Keyword arguments are the fields of the C API's parameter structs (``lh_context_params``, ...)
and enum values may be given by name (``attention="longheads"``).
"""

import os as _os

# oneDNN runs on libgomp, whose idle threads otherwise spin and starve the attention's worker
# threads (10-100x slower on a busy 2-core machine). libgomp reads the policy once, when it is
# first loaded, so set it before the native module loads it (unless the user chose one).
if "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import longheads_native as _native  # noqa: E402
from ._errors import Error, InvalidArgumentError, Status
from ._options import ENUMS as _ENUMS
from ._model import Context, Model, ModelInfo, Sampler, Stream, TensorInfo
from ._chat import Chat

_native._set_error_classes(Error, InvalidArgumentError)

Attention = _ENUMS["Attention"]
Precision = _ENUMS["Precision"]
PrefillMode = _ENUMS["PrefillMode"]
KvType = KVType = _ENUMS["KvType"]
ChunkScore = _ENUMS["ChunkScore"]
StopReason = _ENUMS["StopReason"]


def version():
    """The native library's version, "MAJOR.MINOR.PATCH"."""
    return _native.version()


def cpu_level():
    """Instruction-set level of the native kernels in this process: "generic", "avx2", "avx512"
    or "avx512_bf16" (the highest the CPU runs, or a lower one named by LONGHEADS_CPU)."""
    return _native.cpu_level()


__version__ = version()

__all__ = [
    "Model", "Context", "Sampler", "Stream", "Chat", "ModelInfo", "TensorInfo",
    "Error", "InvalidArgumentError", "Status",
    "Attention", "Precision", "PrefillMode", "KvType", "KVType", "ChunkScore", "StopReason",
    "version", "cpu_level",
]
