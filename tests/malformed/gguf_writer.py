"""A small GGUF writer for hostile-input tests: it writes valid files and, on request, files
that break every rule a reader checks (raw fields, lying counts, custom offsets).

Independent of the C++ reader on purpose. Standard library only (Debian's /usr/bin/python3).

Layout (little-endian): magic "GGUF", version u32, tensor count, kv count (u32 in v1, u64 from
v2), kv entries (key string, type u32, value), tensor infos (name, n_dims u32, dims (u32 in v1,
u64 from v2), type u32, offset u64), padding to general.alignment, tensor data.
"""

import random
import struct

# Metadata value types.
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B",
           U64: "<Q", I64: "<q", F64: "<d"}

# ggml tensor types: id -> (elements per block, bytes per block).
T_F32, T_F16, T_Q4_0, T_Q8_0, T_Q4_K, T_Q6_K, T_BF16 = 0, 1, 2, 8, 12, 14, 30
BLOCKS = {T_F32: (1, 4), T_F16: (1, 2), T_Q4_0: (32, 18), T_Q8_0: (32, 34), T_Q4_K: (256, 144),
          T_Q6_K: (256, 210), T_BF16: (1, 2), 9: (32, 36), 10: (256, 84)}


def tensor_nbytes(ttype, dims):
    per, size = BLOCKS[ttype]
    n = 1
    for d in dims:
        n *= d
    return n // per * size


class Gguf:
    """Metadata and tensors in order; to_bytes() lays them out. Every field can be overridden
    to produce a malformed file."""

    def __init__(self, version=3, alignment=32):
        self.version = version
        self.alignment = alignment  # padding used by the writer (general.alignment is separate)
        self.kv = []        # (key, encoded value bytes incl. the type field)
        self.tensors = []   # dicts: name, dims, type, data, offset (None = next aligned)
        self.magic = b"GGUF"
        self.n_kv = None          # override the kv count
        self.n_tensors = None     # override the tensor count
        self.sections = {}        # filled by to_bytes: section name -> byte offset

    # ---- encoding helpers ----
    def count(self, n):
        return struct.pack("<I" if self.version == 1 else "<Q", n & (0xFFFFFFFF if self.version == 1 else (1 << 64) - 1))

    def string(self, s):
        b = s.encode() if isinstance(s, str) else s
        return self.count(len(b)) + b

    def value(self, vtype, v):
        if vtype == STRING:
            return struct.pack("<I", STRING) + self.string(v)
        if vtype == ARRAY:
            etype, items = v
            out = struct.pack("<I", ARRAY) + struct.pack("<I", etype) + self.count(len(items))
            for it in items:
                out += self.value(etype, it)[4:]
            return out
        return struct.pack("<I", vtype) + struct.pack(_SCALAR[vtype], v)

    # ---- metadata ----
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
    def tensor(self, name, dims, ttype=T_F32, data=None, offset=None):
        if data is None:
            data = bytes(tensor_nbytes(ttype, dims))
        t = {"name": name, "dims": list(dims), "type": ttype, "data": data, "offset": offset}
        for i, old in enumerate(self.tensors):
            if old["name"] == name:
                self.tensors[i] = t
                return self
        self.tensors.append(t)
        return self

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
                pos = (pos + al - 1) // al * al
                offsets.append(pos)
                pos += len(t["data"])
            else:
                offsets.append(t["offset"])
        out = bytearray()
        sec = self.sections
        sec.clear()
        out += self.magic
        sec["version"] = len(out)
        out += struct.pack("<I", self.version)
        sec["tensor_count"] = len(out)
        out += self.count(len(self.tensors) if self.n_tensors is None else self.n_tensors)
        sec["kv_count"] = len(out)
        out += self.count(len(self.kv) if self.n_kv is None else self.n_kv)
        sec["kv"] = len(out)
        for i, (k, enc) in enumerate(self.kv):
            sec["kv_key:" + k] = len(out)
            out += self.string(k)
            sec["kv_value:" + k] = len(out)
            out += enc
        sec["tensor_infos"] = len(out)
        for t, off in zip(self.tensors, offsets):
            sec["tinfo:" + t["name"]] = len(out)
            out += self.string(t["name"])
            sec["tinfo_dims:" + t["name"]] = len(out)
            out += struct.pack("<I", len(t["dims"]))
            for d in t["dims"]:
                out += self.count(d)
            sec["tinfo_type:" + t["name"]] = len(out)
            out += struct.pack("<I", t["type"])
            sec["tinfo_offset:" + t["name"]] = len(out)
            out += struct.pack("<Q", off & ((1 << 64) - 1))
        sec["header_end"] = len(out)
        data_start = (len(out) + al - 1) // al * al
        out += bytes(data_start - len(out))
        sec["data"] = data_start
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


# ---- a tiny valid llama -----------------------------------------------------------------------

SPACE = "\u2581"


def tiny_vocab():
    """<unk>, <s>, </s>, 256 byte tokens, then a few merges: 276 tokens."""
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    kinds = [2, 3, 3] + [6] * 256
    words = [SPACE, "e", "t", "h", "a", "o", SPACE + "t", "he", SPACE + "a", SPACE + "the", "in", "ce",
             SPACE + "on", SPACE + "once", "up", SPACE + "up", SPACE + "upon"]
    tokens += words
    kinds += [1] * len(words)
    scores = [0.0] * 259 + [-float(i) for i in range(len(words))]
    return tokens, scores, kinds


def f32_bytes(n, rng, scale=0.1):
    return struct.pack("<%df" % n, *[rng.uniform(-scale, scale) for _ in range(n)])


def tiny_llama(version=3, n_embd=16, n_head=4, n_head_kv=2, n_ff=32, n_layer=1, ctx=64, seed=7,
               weight_type=T_F32, tied=False):
    """A complete, loadable llama: the baseline every malformed case is derived from."""
    rng = random.Random(seed)
    g = Gguf(version=version)
    tokens, scores, kinds = tiny_vocab()
    g.set("general.architecture", STRING, "llama")
    g.set("general.name", STRING, "tiny-hostile")
    g.set("llama.context_length", U32, ctx)
    g.set("llama.embedding_length", U32, n_embd)
    g.set("llama.block_count", U32, n_layer)
    g.set("llama.feed_forward_length", U32, n_ff)
    g.set("llama.attention.head_count", U32, n_head)
    g.set("llama.attention.head_count_kv", U32, n_head_kv)
    g.set("llama.rope.dimension_count", U32, n_embd // n_head)
    g.set("llama.attention.layer_norm_rms_epsilon", F32, 1e-5)
    g.set("tokenizer.ggml.model", STRING, "llama")
    g.set("tokenizer.ggml.tokens", ARRAY, (STRING, tokens))
    g.set("tokenizer.ggml.scores", ARRAY, (F32, scores))
    g.set("tokenizer.ggml.token_type", ARRAY, (I32, kinds))
    g.set("tokenizer.ggml.bos_token_id", U32, 1)
    g.set("tokenizer.ggml.eos_token_id", U32, 2)
    g.set("tokenizer.ggml.unknown_token_id", U32, 0)
    n_vocab = len(tokens)
    head_dim = n_embd // n_head
    kv_dim = n_head_kv * head_dim

    def mat(name, cols, rows):
        if weight_type == T_F32:
            g.tensor(name, [cols, rows], T_F32, f32_bytes(cols * rows, rng))
        else:
            g.tensor(name, [cols, rows], weight_type, quantized_bytes(weight_type, cols * rows, rng))

    def vec(name, n):
        g.tensor(name, [n], T_F32, struct.pack("<%df" % n, *[1.0 + rng.uniform(-0.1, 0.1) for _ in range(n)]))

    g.tensor("token_embd.weight", [n_embd, n_vocab], T_F32, f32_bytes(n_embd * n_vocab, rng, 1.0))
    for i in range(n_layer):
        p = "blk.%d." % i
        vec(p + "attn_norm.weight", n_embd)
        mat(p + "attn_q.weight", n_embd, n_embd)
        mat(p + "attn_k.weight", n_embd, kv_dim)
        mat(p + "attn_v.weight", n_embd, kv_dim)
        mat(p + "attn_output.weight", n_embd, n_embd)
        vec(p + "ffn_norm.weight", n_embd)
        mat(p + "ffn_gate.weight", n_embd, n_ff)
        mat(p + "ffn_up.weight", n_embd, n_ff)
        mat(p + "ffn_down.weight", n_ff, n_embd)
    vec("output_norm.weight", n_embd)
    if not tied:
        mat("output.weight", n_embd, n_vocab)
    return g


def quantized_bytes(ttype, n, rng):
    """Plausible blocks: small f16 scales (finite), random quants."""
    per, size = BLOCKS[ttype]
    out = bytearray()
    half_small = struct.pack("<e", 0.01)
    for _ in range(n // per):
        blk = bytearray(rng.getrandbits(8) for _ in range(size))
        if ttype in (T_Q4_0, T_Q8_0):
            blk[0:2] = half_small
        elif ttype == T_Q4_K:
            blk[0:2] = half_small
            blk[2:4] = half_small
        elif ttype == T_Q6_K:
            blk[size - 2:size] = half_small
        elif ttype in (T_F16,):
            pass
        out += blk
    if ttype == T_F16:
        return struct.pack("<%de" % n, *[rng.uniform(-0.1, 0.1) for _ in range(n)])
    if ttype == T_BF16:
        return b"".join(struct.pack("<f", rng.uniform(-0.1, 0.1))[2:] for _ in range(n))
    return bytes(out)
