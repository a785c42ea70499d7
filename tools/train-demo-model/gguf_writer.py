"""Minimal GGUF v3 writer (and a small reader for checking), written for this project.

Layout (GGUF v3, little endian):
  magic "GGUF", u32 version=3, u64 n_tensors, u64 n_kv,
  n_kv x (string key, u32 type, value),
  n_tensors x (string name, u32 n_dims, u64 dims[n_dims] (fastest-varying first), u32 ggml_type, u64 offset),
  padding to `alignment`, tensor data (each tensor's offset aligned to `alignment`).
Strings are u64 length + UTF-8 bytes, arrays are u32 elem_type + u64 count + elements.
"""
import struct
import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32

# metadata value types
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, \
    T_UINT64, T_INT64, T_FLOAT64 = range(13)
_SCALAR_FMT = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I",
               T_INT32: "<i", T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q",
               T_FLOAT64: "<d"}

# ggml tensor types we use
GGML_F32, GGML_F16 = 0, 1


def _pack_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


class GGUFWriter:
    def __init__(self, alignment=ALIGNMENT):
        self.kv = []          # (key, type, value, elem_type)
        self.tensors = []     # (name, np.ndarray)
        self.alignment = alignment

    # ---- metadata ----
    def add(self, key, vtype, value, elem_type=None):
        self.kv.append((key, vtype, value, elem_type))

    def add_string(self, key, v): self.add(key, T_STRING, v)
    def add_u32(self, key, v): self.add(key, T_UINT32, int(v))
    def add_i32(self, key, v): self.add(key, T_INT32, int(v))
    def add_f32(self, key, v): self.add(key, T_FLOAT32, float(v))
    def add_bool(self, key, v): self.add(key, T_BOOL, bool(v))
    def add_array(self, key, elem_type, values): self.add(key, T_ARRAY, list(values), elem_type)

    # ---- tensors ----
    def add_tensor(self, name, arr):
        """arr: numpy array in C order (row-major). GGUF dims are written reversed
        (fastest-varying first), so a torch Linear weight (out, in) gets dims [in, out]."""
        arr = np.ascontiguousarray(arr)
        assert arr.dtype in (np.float32, np.float16), arr.dtype
        self.tensors.append((name, arr))

    def _pack_value(self, vtype, value, elem_type=None):
        if vtype == T_STRING:
            return _pack_string(value)
        if vtype == T_ARRAY:
            out = struct.pack("<IQ", elem_type, len(value))
            if elem_type == T_STRING:
                return out + b"".join(_pack_string(v) for v in value)
            fmt = _SCALAR_FMT[elem_type]
            return out + np.array(value, dtype=np.dtype(fmt)).tobytes()
        return struct.pack(_SCALAR_FMT[vtype], value)

    def write(self, path):
        al = self.alignment
        head = bytearray()
        head += GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))
        for key, vtype, value, et in self.kv:
            head += _pack_string(key) + struct.pack("<I", vtype) + self._pack_value(vtype, value, et)
        offset = 0
        offsets = []
        for name, arr in self.tensors:
            offsets.append(offset)
            dims = list(reversed(arr.shape))
            gt = GGML_F32 if arr.dtype == np.float32 else GGML_F16
            head += _pack_string(name) + struct.pack("<I", len(dims))
            head += struct.pack("<%dQ" % len(dims), *dims) + struct.pack("<IQ", gt, offset)
            offset += arr.nbytes
            offset = (offset + al - 1) // al * al
        with open(path, "wb") as f:
            f.write(head)
            f.write(b"\0" * ((-len(head)) % al))
            pos = 0
            for (name, arr), off in zip(self.tensors, offsets):
                f.write(b"\0" * (off - pos))
                f.write(arr.tobytes())
                pos = off + arr.nbytes


# ------------------------------------------------------------------ reader (for checks)
def read_gguf(path):
    """Returns (metadata dict, tensors dict name -> numpy array in C order (dims reversed))."""
    data = open(path, "rb").read()
    pos = 0

    def rd(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def rstr():
        nonlocal pos
        n = rd("<Q")
        s = data[pos:pos + n].decode("utf-8", errors="surrogateescape")
        pos += n
        return s

    def rval(t):
        if t == T_STRING:
            return rstr()
        if t == T_ARRAY:
            et, n = rd("<I"), rd("<Q")
            if et == T_STRING:
                return [rstr() for _ in range(n)]
            return [rval(et) for _ in range(n)]
        return rd(_SCALAR_FMT[t])

    assert data[:4] == GGUF_MAGIC
    pos = 4
    version, n_t, n_kv = rd("<I"), rd("<Q"), rd("<Q")
    assert version in (2, 3), version
    meta = {}
    for _ in range(n_kv):
        k = rstr()
        meta[k] = rval(rd("<I"))
    infos = []
    for _ in range(n_t):
        name = rstr()
        nd = rd("<I")
        dims = [rd("<Q") for _ in range(nd)]
        gt, off = rd("<I"), rd("<Q")
        infos.append((name, dims, gt, off))
    al = meta.get("general.alignment", ALIGNMENT)
    base = (pos + al - 1) // al * al
    tensors = {}
    for name, dims, gt, off in infos:
        dt = {GGML_F32: np.float32, GGML_F16: np.float16}[gt]
        n = int(np.prod(dims))
        arr = np.frombuffer(data, dtype=dt, count=n, offset=base + off)
        tensors[name] = arr.reshape(list(reversed(dims)))
    return meta, tensors
