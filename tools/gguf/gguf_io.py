"""Small GGUF v3 reader and streaming writer for the project's Python tools (standalone on purpose).

File layout (little endian):
  "GGUF", u32 version, u64 n_tensors, u64 n_kv,
  n_kv x (string key, u32 value_type, value),
  n_tensors x (string name, u32 n_dims, u64 dims[n_dims] (fastest-varying first), u32 ggml_type, u64 offset),
  zero padding to `general.alignment`, then the data section (each tensor at an aligned offset).
Strings are u64 length + UTF-8 bytes; arrays are u32 element type + u64 count + elements.

The reader keeps every metadata value together with its GGUF type so that keys can be copied into
another file unchanged (e.g. the tokenizer.ggml.* keys of a vocabulary donor).
"""
import mmap
import struct

import numpy as np

T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, \
    T_UINT64, T_INT64, T_FLOAT64 = range(13)
SCALAR_FMT = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I",
              T_INT32: "<i", T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q",
              T_FLOAT64: "<d"}

# ggml tensor types: id -> (name, elements per block, bytes per block)
GGML_TYPES = {
    0: ("f32", 1, 4),
    1: ("f16", 1, 2),
    2: ("q4_0", 32, 18),
    6: ("q5_0", 32, 22),
    7: ("q5_1", 32, 24),
    8: ("q8_0", 32, 34),
    10: ("q2_K", 256, 84),
    11: ("q3_K", 256, 110),
    12: ("q4_K", 256, 144),
    13: ("q5_K", 256, 176),
    14: ("q6_K", 256, 210),
    20: ("iq4_nl", 32, 18),
    23: ("iq4_xs", 256, 136),
    30: ("bf16", 1, 2),
}
GGML_TYPE_ID = {v[0]: k for k, v in GGML_TYPES.items()}


class Value:
    """A metadata value with its GGUF type (elem_type for arrays)."""

    def __init__(self, vtype, value, elem_type=None):
        self.vtype, self.value, self.elem_type = vtype, value, elem_type

    def pack(self):
        return pack_value(self.vtype, self.value, self.elem_type)


def pack_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


def pack_value(vtype, value, elem_type=None):
    if vtype == T_STRING:
        return pack_string(value)
    if vtype == T_ARRAY:
        out = struct.pack("<IQ", elem_type, len(value))
        if elem_type == T_STRING:
            return out + b"".join(pack_string(v) for v in value)
        if elem_type == T_ARRAY:
            raise ValueError("nested arrays are not supported")
        return out + np.asarray(value, dtype=np.dtype(SCALAR_FMT[elem_type])).tobytes()
    return struct.pack(SCALAR_FMT[vtype], value)


class Reader:
    """Reads metadata (typed) and tensor infos of a GGUF v2/v3 file."""

    def __init__(self, path):
        with open(path, "rb") as f:  # mapped, so only the header pages are read
            self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.pos = 0
        if self.data[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        self.pos = 4
        self.version = self._u("<I")
        if self.version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {self.version} is not supported")
        n_tensors, n_kv = self._u("<Q"), self._u("<Q")
        self.kv = {}
        for _ in range(n_kv):
            key = self._str()
            vtype = self._u("<I")
            self.kv[key] = self._value(vtype)
        self.tensors = []
        for _ in range(n_tensors):
            name = self._str()
            n_dims = self._u("<I")
            dims = [self._u("<Q") for _ in range(n_dims)]
            self.tensors.append((name, dims, self._u("<I"), self._u("<Q")))

    def _u(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def _str(self):
        n = self._u("<Q")
        s = bytes(self.data[self.pos:self.pos + n]).decode("utf-8", errors="surrogateescape")
        self.pos += n
        return s

    def _value(self, vtype):
        if vtype in SCALAR_FMT:
            return Value(vtype, self._u(SCALAR_FMT[vtype]))
        if vtype == T_STRING:
            return Value(vtype, self._str())
        if vtype == T_ARRAY:
            et, n = self._u("<I"), self._u("<Q")
            if et == T_STRING:
                return Value(vtype, [self._str() for _ in range(n)], et)
            if et in SCALAR_FMT:
                dt = np.dtype(SCALAR_FMT[et])
                arr = np.frombuffer(self.data, dtype=dt, count=n, offset=self.pos).copy()
                self.pos += n * dt.itemsize
                return Value(vtype, arr, et)
            raise ValueError(f"unsupported array element type {et}")
        raise ValueError(f"unknown metadata value type {vtype}")


def tensor_nbytes(dims, ggml_type):
    _, blk, size = GGML_TYPES[ggml_type]
    n = 1
    for d in dims:
        n *= d
    if dims[0] % blk:
        raise ValueError(f"row length {dims[0]} is not a multiple of the block size {blk}")
    return n // blk * size


class StreamWriter:
    """Writes a GGUF v3 file whose tensors are produced one after another (never all in memory).

    usage: w = StreamWriter(path, alignment); w.kv[key] = Value(...); w.add_tensor_info(name, dims, type)...;
           w.write_header(); then for each tensor in order: w.begin_tensor(name); w.write(bytes)...; w.end_tensor();
           w.close()
    """

    def __init__(self, path, alignment=32):
        self.path, self.alignment = path, alignment
        self.kv = {}
        self.infos = []  # (name, dims, type, offset, nbytes)
        self.f = None
        self._cur = None

    def _pad(self, n):
        return (-n) % self.alignment

    def add_tensor_info(self, name, dims, ggml_type):
        nbytes = tensor_nbytes(dims, ggml_type)
        off = 0
        if self.infos:
            _, _, _, poff, pn = self.infos[-1]
            off = poff + pn + self._pad(poff + pn)
        self.infos.append((name, list(dims), ggml_type, off, nbytes))

    def write_header(self):
        head = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(self.infos), len(self.kv)))
        for key, val in self.kv.items():
            head += pack_string(key) + struct.pack("<I", val.vtype) + val.pack()
        for name, dims, t, off, _ in self.infos:
            head += pack_string(name) + struct.pack("<I", len(dims))
            head += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", t, off)
        head += b"\0" * self._pad(len(head))
        self.f = open(self.path, "wb")
        self.f.write(head)
        self.data_start = len(head)
        self._next = 0

    def begin_tensor(self, name):
        info = self.infos[self._next]
        if info[0] != name:
            raise ValueError(f"tensor {name} written out of order (expected {info[0]})")
        self._cur, self._written = info, 0

    def write(self, b):
        self.f.write(b)
        self._written += len(b)

    def end_tensor(self):
        name, _, _, off, nbytes = self._cur
        if self._written != nbytes:
            raise ValueError(f"tensor {name}: wrote {self._written} bytes, expected {nbytes}")
        self.f.write(b"\0" * self._pad(off + nbytes))
        self._next += 1

    def close(self):
        if self._next != len(self.infos):
            raise ValueError("not every tensor was written")
        self.f.close()
