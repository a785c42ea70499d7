"""GGUF reading and writing for the project's Python tools and tests, in one module (numpy only;
standalone on purpose: it is how the tests make files for the C++ reader, so it shares nothing
with it).

File layout (little endian):
  "GGUF", u32 version, tensor count, metadata count (u64 each; u32 in version 1),
  n_kv x (string key, u32 value_type, value),
  n_tensors x (string name, u32 n_dims, dims[n_dims] (u64; u32 in v1; fastest-varying first),
               u32 ggml_type, u64 offset),
  zero padding to `general.alignment`, then the data section (each tensor at an aligned offset).
Strings are a length (u64; u32 in v1) + UTF-8 bytes; arrays are u32 element type + length +
elements.

Reading:
  Reader(path)     typed metadata (`Value`s, so that keys can be copied into another file
                   unchanged, e.g. the tokenizer.ggml.* keys of a vocabulary donor) and tensor infos
                   of a GGUF v2/v3 file; mapped, so only the header pages are read.
  read_gguf(path)  plain metadata values and the F32/F16 tensors as numpy arrays.
  copy_of(path)    the whole file as a Gguf (metadata and tensor bytes, any type), to edit and write.
Writing (both lay out tensors at `alignment`-aligned offsets in the order given):
  Gguf             a whole file in memory: metadata, tensors, to_bytes() / write(path). Every field
                   can be overridden to produce a malformed file (raw values, lying counts, custom
                   offsets, version 1); `sections` gives the byte offset of each part.
  StreamWriter     a large file whose tensors are produced one after another (never all in memory);
                   it also pads after the last tensor.
"""
import mmap
import struct

import numpy as np

# metadata value types
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
    9: ("q8_1", 32, 36),
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
GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_Q4_K, GGML_Q6_K, GGML_BF16 = 0, 1, 2, 8, 12, 14, 30


def align_up(n, alignment):
    return (n + alignment - 1) // alignment * alignment


def tensor_nbytes(dims, ggml_type, whole_blocks=True):
    """Bytes of a tensor. A row (dims[0]) that is not a whole number of blocks raises, unless
    whole_blocks is False (hostile files: the partial block is then left out)."""
    _, blk, size = GGML_TYPES[ggml_type]
    n = 1
    for d in dims:
        n *= d
    if whole_blocks and dims[0] % blk:
        raise ValueError(f"row length {dims[0]} is not a multiple of the block size {blk}")
    return n // blk * size


# ------------------------------------------------------------------------------------ encoding
def pack_count(n, version=3):
    """A count or length: u32 in GGUF v1, u64 from v2."""
    return struct.pack("<I" if version == 1 else "<Q", n)


def pack_string(s, version=3):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return pack_count(len(b), version) + b


def pack_value(vtype, value, elem_type=None, version=3):
    """A metadata value as written after its type field. An array holds `value` of `elem_type`;
    the elements of an array of arrays are (elem_type, elements) pairs."""
    if vtype == T_STRING:
        return pack_string(value, version)
    if vtype == T_ARRAY:
        out = struct.pack("<I", elem_type) + pack_count(len(value), version)
        if elem_type == T_STRING:
            return out + b"".join(pack_string(v, version) for v in value)
        if elem_type == T_ARRAY:
            return out + b"".join(pack_value(T_ARRAY, items, et, version) for et, items in value)
        return out + np.asarray(value, dtype=np.dtype(SCALAR_FMT[elem_type])).tobytes()
    return struct.pack(SCALAR_FMT[vtype], value)


def pack_typed(vtype, value, elem_type=None, version=3):
    """u32 value type + value: what follows a key."""
    return struct.pack("<I", vtype) + pack_value(vtype, value, elem_type, version)


def pack_header(kv, infos, alignment=32, version=3, magic=b"GGUF", n_kv=None, n_tensors=None,
                sections=None):
    """Everything before the data section, zero-padded to `alignment`.

    kv: (key, pack_typed bytes) pairs; infos: (name, dims, ggml_type, offset) tuples. n_kv and
    n_tensors, when not None, are written instead of the true counts. `sections`, a dict when
    given, receives the byte offset of each part: version, tensor_count, kv_count, kv,
    kv_key:<key>, kv_value:<key>, tensor_infos, tinfo:<name>, tinfo_dims:<name>,
    tinfo_type:<name>, tinfo_offset:<name>, header_end (before the padding) and data."""
    sec = {} if sections is None else sections
    out = bytearray(magic)
    sec["version"] = len(out)
    out += struct.pack("<I", version)
    sec["tensor_count"] = len(out)
    out += pack_count(len(infos) if n_tensors is None else n_tensors, version)
    sec["kv_count"] = len(out)
    out += pack_count(len(kv) if n_kv is None else n_kv, version)
    sec["kv"] = len(out)
    for key, typed in kv:
        sec["kv_key:" + key] = len(out)
        out += pack_string(key, version)
        sec["kv_value:" + key] = len(out)
        out += typed
    sec["tensor_infos"] = len(out)
    for name, dims, ggml_type, offset in infos:
        sec["tinfo:" + name] = len(out)
        out += pack_string(name, version)
        sec["tinfo_dims:" + name] = len(out)
        out += struct.pack("<I", len(dims)) + b"".join(pack_count(d, version) for d in dims)
        sec["tinfo_type:" + name] = len(out)
        out += struct.pack("<I", ggml_type)
        sec["tinfo_offset:" + name] = len(out)
        out += struct.pack("<Q", offset)
    sec["header_end"] = len(out)
    sec["data"] = align_up(len(out), alignment)
    out += bytes(sec["data"] - len(out))
    return bytes(out)


class Value:
    """A metadata value with its GGUF type (elem_type for arrays)."""

    def __init__(self, vtype, value, elem_type=None):
        self.vtype, self.value, self.elem_type = vtype, value, elem_type

    def pack(self):
        """u32 type + value, as written after a key."""
        return pack_typed(self.vtype, self.value, self.elem_type)

    def plain(self):
        """The value as plain Python: scalars, str, lists (nested for arrays of arrays)."""
        if self.vtype != T_ARRAY:
            return self.value
        if self.elem_type == T_ARRAY:
            return [v.plain() for v in self.value]
        return list(self.value) if self.elem_type == T_STRING else self.value.tolist()


# ------------------------------------------------------------------------------------- reading
class Reader:
    """Reads metadata (typed) and tensor infos of a GGUF v2/v3 file. `tensors` lists
    (name, dims, ggml_type, offset); `pos` is the end of the tensor infos."""

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
            if et == T_ARRAY:
                return Value(vtype, [self._value(T_ARRAY) for _ in range(n)], et)
            if et in SCALAR_FMT:
                dt = np.dtype(SCALAR_FMT[et])
                arr = np.frombuffer(self.data, dtype=dt, count=n, offset=self.pos).copy()
                self.pos += n * dt.itemsize
                return Value(vtype, arr, et)
            raise ValueError(f"unsupported array element type {et}")
        raise ValueError(f"unknown metadata value type {vtype}")


def read_gguf(path):
    """(metadata dict key -> plain value, tensors dict name -> read-only numpy array in C order,
    i.e. dims reversed). F32 and F16 tensors only."""
    r = Reader(path)
    meta = {k: v.plain() for k, v in r.kv.items()}
    base = align_up(r.pos, meta.get("general.alignment", 32))
    tensors = {}
    for name, dims, ggml_type, off in r.tensors:
        dt = {GGML_F32: np.float32, GGML_F16: np.float16}[ggml_type]
        arr = np.frombuffer(r.data, dtype=dt, count=int(np.prod(dims)), offset=base + off)
        tensors[name] = arr.reshape(list(reversed(dims)))
    return meta, tensors


def copy_of(path):
    """path's metadata (as typed values, in order) and tensors (their bytes, any type) in a Gguf,
    so a test can change a key and write the file elsewhere."""
    r = Reader(path)
    out = Gguf(version=r.version)
    for key, value in r.kv.items():
        out.set_raw(key, value.pack())
    base = align_up(r.pos, r.kv["general.alignment"].plain() if "general.alignment" in r.kv else 32)
    for name, dims, ggml_type, off in r.tensors:
        out.tensor(name, dims, ggml_type, bytes(r.data[base + off:base + off + tensor_nbytes(dims, ggml_type)]))
    return out


# ------------------------------------------------------------------------------------- writing
class Gguf:
    """Metadata and tensors in order; to_bytes() lays them out. Every field can be overridden
    to produce a malformed file."""

    def __init__(self, version=3, alignment=32):
        self.version = version
        self.alignment = alignment  # padding used by the writer (general.alignment is separate)
        self.kv = []        # (key, type u32 + value bytes)
        self.tensors = []   # dicts: name, dims, type, data, offset (None = next aligned)
        self.magic = b"GGUF"
        self.n_kv = None          # override the kv count
        self.n_tensors = None     # override the tensor count
        self.sections = {}        # filled by to_bytes: section name -> byte offset (pack_header)

    # ---- metadata ----
    def value(self, vtype, v):
        """type u32 + value in this file's version; an array's v is (elem_type, elements)."""
        if vtype == T_ARRAY:
            return pack_typed(T_ARRAY, v[1], v[0], self.version)
        return pack_typed(vtype, v, None, self.version)

    def set(self, key, vtype, v):
        return self.set_raw(key, self.value(vtype, v))

    def set_raw(self, key, encoded):
        """encoded = type u32 + value bytes, exactly as written after the key."""
        for i, (k, _) in enumerate(self.kv):
            if k == key:
                self.kv[i] = (key, encoded)
                return self
        self.kv.append((key, encoded))
        return self

    def remove(self, key):
        self.kv = [(k, v) for (k, v) in self.kv if k != key]
        return self

    def has(self, key):
        return any(k == key for k, _ in self.kv)

    # ---- tensors ----
    def tensor(self, name, dims, ttype=GGML_F32, data=None, offset=None):
        """dims fastest-varying first; data None = zeros of the type's size."""
        if data is None:
            data = bytes(tensor_nbytes(dims, ttype, whole_blocks=False))
        t = {"name": name, "dims": list(dims), "type": ttype, "data": data, "offset": offset}
        for i, old in enumerate(self.tensors):
            if old["name"] == name:
                self.tensors[i] = t
                return self
        self.tensors.append(t)
        return self

    def array(self, name, arr):
        """A float32 or float16 numpy array in C order (row-major). GGUF dims are its shape
        reversed (fastest-varying first), so a torch Linear weight (out, in) gets dims [in, out]."""
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in (np.float32, np.float16):
            raise ValueError(f"tensor {name}: dtype {arr.dtype} (float32 or float16 only)")
        ttype = GGML_F32 if arr.dtype == np.float32 else GGML_F16
        return self.tensor(name, list(reversed(arr.shape)), ttype, arr.tobytes())

    def find_tensor(self, name):
        for t in self.tensors:
            if t["name"] == name:
                return t
        raise KeyError(name)

    def drop_tensor(self, name):
        self.tensors = [t for t in self.tensors if t["name"] != name]
        return self

    # ---- layout ----
    def to_bytes(self):
        al = self.alignment
        # Data offsets: given, or packed in order with alignment padding.
        offsets, pos = [], 0
        for t in self.tensors:
            if t["offset"] is None:
                pos = align_up(pos, al)
                offsets.append(pos)
                pos += len(t["data"])
            else:
                offsets.append(t["offset"])
        self.sections.clear()
        infos = [(t["name"], t["dims"], t["type"], off) for t, off in zip(self.tensors, offsets)]
        out = bytearray(pack_header(self.kv, infos, al, self.version, self.magic, self.n_kv,
                                    self.n_tensors, self.sections))
        data_start = self.sections["data"]
        # Tensor data (only for the packed layout; custom offsets are written where they say
        # when they fit, so overlapping/out-of-file tensors are just descriptions).
        end = data_start
        for t, off in zip(self.tensors, offsets):
            if t["offset"] is None:
                end = max(end, data_start + off + len(t["data"]))
        out += bytes(end - len(out))
        for t, off in zip(self.tensors, offsets):
            if t["offset"] is None:
                out[data_start + off: data_start + off + len(t["data"])] = t["data"]
        return bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())


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
        return align_up(n, self.alignment) - n

    def add_tensor_info(self, name, dims, ggml_type):
        nbytes = tensor_nbytes(dims, ggml_type)
        off = 0
        if self.infos:
            _, _, _, poff, pn = self.infos[-1]
            off = align_up(poff + pn, self.alignment)
        self.infos.append((name, list(dims), ggml_type, off, nbytes))

    def write_header(self):
        head = pack_header([(key, val.pack()) for key, val in self.kv.items()],
                           [info[:4] for info in self.infos], self.alignment)
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
