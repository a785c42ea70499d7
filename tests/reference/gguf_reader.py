"""Minimal GGUF (v2/v3) reader for the numpy reference implementation.

Independent of the C++ loader on purpose: it is part of the test oracle.
Only F32 and F16 tensors are decoded; anything else raises.

Layout (all little-endian):
  magic "GGUF", version u32, tensor_count u64, kv_count u64,
  kv_count x (key: string, value_type: u32, value),
  tensor_count x (name: string, n_dims: u32, dims: u64 x n_dims, type: u32, offset: u64),
  padding to `general.alignment` (default 32), then the tensor data section.
Strings are a u64 length followed by UTF-8 bytes (no terminator).
"""

import struct

import numpy as np

# Metadata value types -> struct format of a scalar (strings and arrays handled separately).
_SCALAR_FORMATS = {
    0: "<B",   # uint8
    1: "<b",   # int8
    2: "<H",   # uint16
    3: "<h",   # int16
    4: "<I",   # uint32
    5: "<i",   # int32
    6: "<f",   # float32
    7: "<?",   # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_TYPE_STRING = 8
_TYPE_ARRAY = 9

# Tensor types we can decode -> numpy dtype.
_TENSOR_DTYPES = {
    0: np.dtype("<f4"),  # F32
    1: np.dtype("<f2"),  # F16
}


class GGUFError(Exception):
    pass


class _Cursor:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def unpack(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise GGUFError("unexpected end of file at byte %d" % self.pos)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self):
        n = self.unpack("<Q")
        if self.pos + n > len(self.data):
            raise GGUFError("string runs past end of file at byte %d" % self.pos)
        raw = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def value(self, vtype):
        if vtype in _SCALAR_FORMATS:
            return self.unpack(_SCALAR_FORMATS[vtype])
        if vtype == _TYPE_STRING:
            return self.string()
        if vtype == _TYPE_ARRAY:
            elem_type = self.unpack("<I")
            count = self.unpack("<Q")
            return [self.value(elem_type) for _ in range(count)]
        raise GGUFError("unknown metadata value type %d at byte %d" % (vtype, self.pos))


class TensorInfo:
    def __init__(self, name, dims, ggml_type, offset):
        self.name = name
        self.dims = dims          # fastest-varying first, as stored in the file
        self.ggml_type = ggml_type
        self.offset = offset      # relative to the start of the data section

    @property
    def shape(self):
        # numpy (C order) lists the slowest-varying dimension first.
        return tuple(reversed(self.dims))


class GGUFFile:
    """Parses a GGUF file. `metadata` is a dict key -> value; `tensors` a dict name -> TensorInfo."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self._data = f.read()
        cur = _Cursor(self._data)
        magic = bytes(self._data[:4])
        if magic != b"GGUF":
            raise GGUFError("%s: not a GGUF file (magic %r)" % (path, magic))
        cur.pos = 4
        self.version = cur.unpack("<I")
        if self.version == 1:
            raise GGUFError("%s: GGUF v1 (32-bit counts) is not supported; use a v2/v3 file" % path)
        if self.version not in (2, 3):
            raise GGUFError("%s: unsupported GGUF version %d" % (path, self.version))
        n_tensors = cur.unpack("<Q")
        n_kv = cur.unpack("<Q")

        self.metadata = {}
        for _ in range(n_kv):
            key = cur.string()
            vtype = cur.unpack("<I")
            self.metadata[key] = cur.value(vtype)

        self.tensors = {}
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.unpack("<I")
            dims = [cur.unpack("<Q") for _ in range(n_dims)]
            ggml_type = cur.unpack("<I")
            offset = cur.unpack("<Q")
            self.tensors[name] = TensorInfo(name, dims, ggml_type, offset)

        alignment = int(self.metadata.get("general.alignment", 32))
        self.data_start = (cur.pos + alignment - 1) // alignment * alignment

    def tensor(self, name):
        """The tensor as a read-only numpy array in its stored dtype, shape = reversed(dims)."""
        info = self.tensors[name]
        if info.ggml_type not in _TENSOR_DTYPES:
            raise GGUFError("tensor %s: ggml type %d not supported (only F32/F16)" % (name, info.ggml_type))
        dtype = _TENSOR_DTYPES[info.ggml_type]
        count = int(np.prod(info.dims, dtype=np.int64)) if info.dims else 1
        start = self.data_start + info.offset
        if start + count * dtype.itemsize > len(self._data):
            raise GGUFError("tensor %s runs past end of file" % name)
        arr = np.frombuffer(self._data, dtype=dtype, count=count, offset=start)
        return arr.reshape(info.shape)
