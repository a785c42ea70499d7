"""Block encoders for the quantized types the random-model generator writes besides q8_0 / q4_0:
q5_0 and q5_1 (ggml's reference quantizers) and the K-quants q4_K, q5_K and q6_K (a plain
min/max quantizer, not ggml's iterative search: the benchmarks need valid blocks of the right
layout, and the speed of a product does not depend on how well the values were chosen).

Each encoder takes float32 x of shape (rows, cols), cols a multiple of the block size (32, or 256
for the K-quants), and returns the bytes of the rows. Layouts as ggml-common.h defines them:
  q5_0  f16 d, u32 qh (bit j = fifth bit of element j), qs[16] (element j low nibble of qs[j],
        element j + 16 the high one); x = (q - 16) d                                   22 bytes / 32
  q5_1  f16 d, f16 m, u32 qh, qs[16]; x = q d + m                                      24 bytes / 32
  q4_K  f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, qs[128]; per 32-element sub-block s
        x = d sc_s q - dmin mn_s; byte 32c + l holds element 64c + l (low nibble) and 64c + 32 + l
        (high nibble)                                                                 144 bytes / 256
  q5_K  as q4_K plus qh[32] before qs: bit 2c of qh[l] is the fifth bit of element 64c + l, bit
        2c + 1 that of element 64c + 32 + l                                           176 bytes / 256
  q6_K  ql[128], qh[64], int8 scales[16] (one per 16 elements), f16 d; x = d sc (q - 32) with
        q = low 4 bits | 2 high bits << 4; in each half n of 128 elements, for l < 32: element
        128n + l is the low nibble of ql[64n + l] with bits 0-1 of qh[32n + l], + 32 the low nibble
        of ql[64n + 32 + l] with bits 2-3, + 64 the high nibble of ql[64n + l] with bits 4-5, + 96
        the high nibble of ql[64n + 32 + l] with bits 6-7                            210 bytes / 256
"""
import numpy as np


def _f16(v):
    """float32 array rounded to f16 and back (the value the file will hold)."""
    return v.astype("<f2").astype(np.float32)


def _safe_inv(d):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)


def _blocks(x, n):
    x = np.ascontiguousarray(x, dtype=np.float32)
    assert x.shape[-1] % n == 0, x.shape
    return x.reshape(-1, n)


def _pack_nibbles_32(q):
    """(nb, 32) values < 16 -> (nb, 16) bytes: element j low nibble of byte j, j + 16 high."""
    return (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)


def _fifth_bits(q):
    """(nb, 32) values < 32 -> (nb, 4) bytes of the little-endian u32 whose bit j is bit 4 of q[j]."""
    bits = ((q >> 4) & 1).astype(np.uint32)
    qh = (bits << np.arange(32, dtype=np.uint32)).sum(axis=1, dtype=np.uint32)
    return qh.astype("<u4").view(np.uint8).reshape(-1, 4)


def encode_q5_0(x):
    b = _blocks(x, 32)
    idx = np.abs(b).argmax(axis=1)
    vmax = b[np.arange(b.shape[0]), idx]  # signed value of largest magnitude
    d = vmax / np.float32(-16)
    q = np.minimum(np.float32(31), np.trunc(b * _safe_inv(d)[:, None] + np.float32(16.5))).astype(np.uint8)
    out = np.empty((b.shape[0], 22), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:6] = _fifth_bits(q)
    out[:, 6:] = _pack_nibbles_32(q & 0x0F)
    return out.tobytes()


def encode_q5_1(x):
    b = _blocks(x, 32)
    lo, hi = b.min(axis=1), b.max(axis=1)
    d = (hi - lo) / np.float32(31)
    q = np.minimum(np.float32(31), np.trunc((b - lo[:, None]) * _safe_inv(d)[:, None] + np.float32(0.5)))
    q = np.maximum(q, 0).astype(np.uint8)
    out = np.empty((b.shape[0], 24), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = lo.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 4:8] = _fifth_bits(q)
    out[:, 8:] = _pack_nibbles_32(q & 0x0F)
    return out.tobytes()


def _pack_k_scales(sc, mn):
    """(n, 8) six-bit scales and mins -> (n, 12) bytes (the inverse of ggml's get_scale_min_k4)."""
    out = np.empty((sc.shape[0], 12), dtype=np.uint8)
    out[:, 0:4] = (sc[:, :4] & 63) | ((sc[:, 4:] >> 4) << 6)
    out[:, 4:8] = (mn[:, :4] & 63) | ((mn[:, 4:] >> 4) << 6)
    out[:, 8:12] = (sc[:, 4:] & 0x0F) | ((mn[:, 4:] & 0x0F) << 4)
    return out


def _k_affine(x, qmax):
    """Sub-block scales and mins of q4_K / q5_K: x ~ d sc q - dmin mn, q in [0, qmax]."""
    sub = _blocks(x, 256).reshape(-1, 8, 32)
    mins = np.maximum(-sub.min(axis=2), 0)               # -min, >= 0
    scales = (sub.max(axis=2) + mins) / np.float32(qmax)  # step covering [-mins, max]
    d = _f16(scales.max(axis=1) / np.float32(63))
    dmin = _f16(mins.max(axis=1) / np.float32(63))
    sc = np.clip(np.rint(scales * _safe_inv(d)[:, None]), 0, 63).astype(np.uint8)
    mn = np.clip(np.rint(mins * _safe_inv(dmin)[:, None]), 0, 63).astype(np.uint8)
    step = d[:, None] * sc                               # (n, 8)
    shift = dmin[:, None] * mn
    q = np.rint((sub + shift[:, :, None]) * _safe_inv(step)[:, :, None])
    q = np.clip(q, 0, qmax).astype(np.uint8).reshape(-1, 256)
    return d, dmin, sc, mn, q


def _k_nibbles(q):
    """(n, 256) values -> (n, 128) bytes: byte 32c + l = element 64c + l | element 64c + 32 + l << 4."""
    q4 = (q & 0x0F).reshape(-1, 4, 2, 32)
    return (q4[:, :, 0, :] | (q4[:, :, 1, :] << 4)).reshape(-1, 128).astype(np.uint8)


def encode_q4_K(x):
    d, dmin, sc, mn, q = _k_affine(x, 15)
    out = np.empty((q.shape[0], 144), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = dmin.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 4:16] = _pack_k_scales(sc, mn)
    out[:, 16:] = _k_nibbles(q)
    return out.tobytes()


def encode_q5_K(x):
    d, dmin, sc, mn, q = _k_affine(x, 31)
    out = np.empty((q.shape[0], 176), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = dmin.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 4:16] = _pack_k_scales(sc, mn)
    # bit s of qh[l] is the fifth bit of element 32 s + l
    high = ((q >> 4) & 1).reshape(-1, 8, 32).astype(np.uint8)
    out[:, 16:48] = (high << np.arange(8, dtype=np.uint8)[None, :, None]).sum(axis=1, dtype=np.uint8)
    out[:, 48:] = _k_nibbles(q)
    return out.tobytes()


def encode_q6_K(x):
    g = _blocks(x, 256).reshape(-1, 16, 16)
    idx = np.abs(g).argmax(axis=2)
    vmax = np.take_along_axis(g, idx[:, :, None], axis=2)[:, :, 0]  # signed, largest magnitude
    scales = vmax / np.float32(-32)                                   # vmax maps to q - 32 = -32
    d = _f16(np.abs(scales).max(axis=1) / np.float32(127))
    sc = np.clip(np.rint(scales * _safe_inv(d)[:, None]), -127, 127).astype(np.int8)
    step = d[:, None] * sc.astype(np.float32)
    q = np.clip(np.rint(g * _safe_inv(step)[:, :, None]), -32, 31).astype(np.int16) + 32
    q = q.astype(np.uint8).reshape(-1, 2, 4, 32)  # half n, quarter k (element 128n + 32k + l)
    out = np.empty((q.shape[0], 210), dtype=np.uint8)
    ql = np.empty((q.shape[0], 2, 64), dtype=np.uint8)
    ql[:, :, :32] = (q[:, :, 0] & 0x0F) | ((q[:, :, 2] & 0x0F) << 4)
    ql[:, :, 32:] = (q[:, :, 1] & 0x0F) | ((q[:, :, 3] & 0x0F) << 4)
    qh = (q[:, :, 0] >> 4) | ((q[:, :, 1] >> 4) << 2) | ((q[:, :, 2] >> 4) << 4) | ((q[:, :, 3] >> 4) << 6)
    out[:, 0:128] = ql.reshape(-1, 128)
    out[:, 128:192] = qh.reshape(-1, 64)
    out[:, 192:208] = sc.view(np.uint8)
    out[:, 208:210] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    return out.tobytes()


# ------------------------------------------------------------------------------------------------
# Low-bit types (plain min/max quantizers, layouts as ggml-common.h):
#   q2_K   scales[16] (per 16 elements: scale low nibble, min high nibble), qs[64], f16 d, f16 dmin;
#          element 128n + 32j + l is bits 2j, 2j + 1 of qs[32n + l]; x = d sc q - dmin mn   84 B / 256
#   q3_K   hmask[32], qs[64], scales[12], f16 d; low 2 bits as q2_K, bit 4n + j of hmask[l] the
#          third bit (clear: minus 4); 6-bit scales (minus 32) per 16: low 4 bits in byte s % 8
#          (high nibble for s >= 8), high 2 bits at bits 2 (s // 4) of byte 8 + s % 4;
#          x = d (sc - 32) (q - 4)                                                        110 B / 256
#   iq4_nl f16 d, qs[16] (as q4_0's nibbles); x = d LEVELS[q]                              18 B / 32
#   iq4_xs f16 d, u16 scales_h, scales_l[4], qs[128]; sub-block i of 32: 6-bit scale (nibble i % 2
#          of scales_l[i // 2], bits 2i, 2i + 1 of scales_h above it) minus 32, nibbles in
#          qs[16i ..] as iq4_nl's; x = d (ls - 32) LEVELS[q]                              136 B / 256
IQ4_LEVELS = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113],
                      dtype=np.float32)


def _k2_positions(q):
    """(n, 256) values < 4 -> (n, 64) bytes: element 128n + 32j + l at bits 2j of byte 32n + l."""
    q4 = q.reshape(-1, 2, 4, 32).astype(np.uint8)
    out = q4[:, :, 0] | (q4[:, :, 1] << 2) | (q4[:, :, 2] << 4) | (q4[:, :, 3] << 6)
    return out.reshape(-1, 64)


def encode_q2_K(x):
    g = _blocks(x, 256).reshape(-1, 16, 16)
    mins = np.maximum(-g.min(axis=2), 0)
    scales = (g.max(axis=2) + mins) / np.float32(3)
    d = _f16(scales.max(axis=1) / np.float32(15))
    dmin = _f16(mins.max(axis=1) / np.float32(15))
    sc = np.clip(np.rint(scales * _safe_inv(d)[:, None]), 0, 15).astype(np.uint8)
    mn = np.clip(np.rint(mins * _safe_inv(dmin)[:, None]), 0, 15).astype(np.uint8)
    step, shift = d[:, None] * sc, dmin[:, None] * mn
    q = np.clip(np.rint((g + shift[:, :, None]) * _safe_inv(step)[:, :, None]), 0, 3).astype(np.uint8)
    out = np.empty((g.shape[0], 84), dtype=np.uint8)
    out[:, 0:16] = sc | (mn << 4)
    out[:, 16:80] = _k2_positions(q.reshape(-1, 256))
    out[:, 80:82] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 82:84] = dmin.astype("<f2").view(np.uint8).reshape(-1, 2)
    return out.tobytes()


def encode_q3_K(x):
    g = _blocks(x, 256).reshape(-1, 16, 16)
    idx = np.abs(g).argmax(axis=2)
    vmax = np.take_along_axis(g, idx[:, :, None], axis=2)[:, :, 0]
    scales = vmax / np.float32(-4)                     # vmax maps to q = -4
    d = _f16(np.abs(scales).max(axis=1) / np.float32(31))
    sc = np.clip(np.rint(scales * _safe_inv(d)[:, None]), -32, 31).astype(np.int16)
    step = d[:, None] * sc.astype(np.float32)
    q = (np.clip(np.rint(g * _safe_inv(step)[:, :, None]), -4, 3).astype(np.int16) + 4).astype(np.uint8)
    q = q.reshape(-1, 256)
    out = np.zeros((g.shape[0], 110), dtype=np.uint8)
    high = ((q >> 2) & 1).reshape(-1, 2, 4, 32)       # element 128n + 32j + l -> bit 4n + j of hmask[l]
    shifts = (4 * np.arange(2)[:, None] + np.arange(4)[None, :]).astype(np.uint8)
    out[:, 0:32] = (high << shifts[None, :, :, None]).sum(axis=(1, 2), dtype=np.uint8)
    out[:, 32:96] = _k2_positions(q & 3)
    u = (sc + 32).astype(np.uint8)                     # (n, 16) 6-bit
    packed = np.zeros((g.shape[0], 12), dtype=np.uint8)
    for s in range(16):
        packed[:, s % 8] |= (u[:, s] & 15) << (0 if s < 8 else 4)
        packed[:, 8 + s % 4] |= ((u[:, s] >> 4) & 3) << (2 * (s // 4))
    out[:, 96:108] = packed
    out[:, 108:110] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    return out.tobytes()


def _nearest_level(v):
    """Index of the IQ4 level nearest to each value of v."""
    return np.abs(v[..., None] - IQ4_LEVELS).argmin(axis=-1).astype(np.uint8)


def encode_iq4_nl(x):
    b = _blocks(x, 32)
    idx = np.abs(b).argmax(axis=1)
    d = _f16(b[np.arange(b.shape[0]), idx] / np.float32(-127))
    q = _nearest_level(b * _safe_inv(d)[:, None])
    out = np.empty((b.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = _pack_nibbles_32(q)
    return out.tobytes()


def encode_iq4_xs(x):
    sub = _blocks(x, 256).reshape(-1, 8, 32)
    idx = np.abs(sub).argmax(axis=2)
    scales = np.take_along_axis(sub, idx[:, :, None], axis=2)[:, :, 0] / np.float32(-127)
    d = _f16(np.abs(scales).max(axis=1) / np.float32(31))
    ls = np.clip(np.rint(scales * _safe_inv(d)[:, None]), -32, 31).astype(np.int16)
    step = d[:, None] * ls.astype(np.float32)
    q = _nearest_level(sub * _safe_inv(step)[:, :, None])  # (n, 8, 32)
    u = (ls + 32).astype(np.uint32)
    out = np.empty((sub.shape[0], 136), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    scales_h = (((u >> 4) & 3) << (2 * np.arange(8, dtype=np.uint32))).sum(axis=1, dtype=np.uint32)
    out[:, 2:4] = scales_h.astype("<u2").view(np.uint8).reshape(-1, 2)
    out[:, 4:8] = ((u[:, 0::2] & 15) | ((u[:, 1::2] & 15) << 4)).astype(np.uint8)
    out[:, 8:] = _pack_nibbles_32(q.reshape(-1, 32)).reshape(-1, 128)
    return out.tobytes()


# ------------------------------------------------------------------------------------------------
# Decoders (numpy), for checking the encoders.
# ------------------------------------------------------------------------------------------------
def _half(b):
    return np.ascontiguousarray(b).view("<f2").astype(np.float32)[:, 0]


def _unpack_k_scales(s):
    sc = np.empty((s.shape[0], 8), dtype=np.uint8)
    mn = np.empty((s.shape[0], 8), dtype=np.uint8)
    sc[:, :4] = s[:, 0:4] & 63
    mn[:, :4] = s[:, 4:8] & 63
    sc[:, 4:] = (s[:, 8:12] & 0x0F) | ((s[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return sc, mn


def decode(type_name, data, cols):
    """Bytes of whole rows -> float32 (rows, cols), for every type of ENCODERS."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if type_name in ("q5_0", "q5_1"):
        size = 22 if type_name == "q5_0" else 24
        b = raw.reshape(-1, size)
        d = _half(b[:, 0:2])
        qs = b[:, size - 16:]
        qh = np.ascontiguousarray(b[:, size - 20:size - 16]).view("<u4")[:, 0]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int32)
        q |= (((qh[:, None] >> np.arange(32, dtype=np.uint32)) & 1) << 4).astype(np.int32)
        if type_name == "q5_0":
            v = (q - 16) * d[:, None]
        else:
            v = q * d[:, None] + _half(b[:, 2:4])[:, None]
        return v.astype(np.float32).reshape(-1, cols)
    if type_name in ("q4_K", "q5_K"):
        size = 144 if type_name == "q4_K" else 176
        b = raw.reshape(-1, size)
        d, dmin = _half(b[:, 0:2]), _half(b[:, 2:4])
        sc, mn = _unpack_k_scales(b[:, 4:16])
        qs = b[:, size - 128:].reshape(-1, 4, 32)
        q = np.stack([qs & 0x0F, qs >> 4], axis=2).reshape(-1, 8, 32).astype(np.int32)
        if type_name == "q5_K":
            qh = b[:, 16:48]
            q |= (((qh[:, None, :] >> np.arange(8, dtype=np.uint8)[None, :, None]) & 1) << 4).astype(np.int32)
        v = d[:, None, None] * sc[:, :, None] * q - (dmin[:, None] * mn)[:, :, None]
        return v.astype(np.float32).reshape(-1, cols)
    if type_name == "q6_K":
        b = raw.reshape(-1, 210)
        ql = b[:, 0:128].reshape(-1, 2, 64)
        qh = b[:, 128:192].reshape(-1, 2, 32)
        sc = b[:, 192:208].view(np.int8).astype(np.float32)
        d = _half(b[:, 208:210])
        q = np.empty((b.shape[0], 2, 4, 32), dtype=np.int32)
        q[:, :, 0] = (ql[:, :, :32] & 0x0F) | ((qh & 3) << 4)
        q[:, :, 1] = (ql[:, :, 32:] & 0x0F) | (((qh >> 2) & 3) << 4)
        q[:, :, 2] = (ql[:, :, :32] >> 4) | (((qh >> 4) & 3) << 4)
        q[:, :, 3] = (ql[:, :, 32:] >> 4) | (((qh >> 6) & 3) << 4)
        v = (q.reshape(-1, 16, 16) - 32) * (d[:, None] * sc)[:, :, None]
        return v.astype(np.float32).reshape(-1, cols)
    if type_name in ("q2_K", "q3_K"):
        size = 84 if type_name == "q2_K" else 110
        b = raw.reshape(-1, size)
        qs = b[:, 16:80] if type_name == "q2_K" else b[:, 32:96]
        q = (qs.reshape(-1, 2, 1, 32) >> (2 * np.arange(4, dtype=np.uint8))[None, None, :, None]) & 3
        q = q.reshape(-1, 16, 16).astype(np.float32)  # element 128n + 32j + l
        if type_name == "q2_K":
            d, dmin = _half(b[:, 80:82]), _half(b[:, 82:84])
            sc, mn = (b[:, :16] & 15).astype(np.float32), (b[:, :16] >> 4).astype(np.float32)
            v = (d[:, None] * sc)[:, :, None] * q - (dmin[:, None] * mn)[:, :, None]
        else:
            hm = b[:, :32]
            bits = (hm[:, None, None, :] >> (4 * np.arange(2)[:, None] + np.arange(4)[None, :])
                    .astype(np.uint8)[None, :, :, None]) & 1
            q = q - 4 * (1 - bits.reshape(-1, 16, 16).astype(np.float32))
            p = b[:, 96:108]
            sc = np.empty((b.shape[0], 16), dtype=np.int32)
            for s in range(16):
                low = (p[:, s % 8] >> (0 if s < 8 else 4)) & 15
                sc[:, s] = (low | (((p[:, 8 + s % 4] >> (2 * (s // 4))) & 3) << 4)).astype(np.int32) - 32
            v = (_half(b[:, 108:110])[:, None] * sc.astype(np.float32))[:, :, None] * q
        return v.astype(np.float32).reshape(-1, cols)
    if type_name == "iq4_nl":
        b = raw.reshape(-1, 18)
        q = np.concatenate([b[:, 2:] & 15, b[:, 2:] >> 4], axis=1)
        return (_half(b[:, 0:2])[:, None] * IQ4_LEVELS[q]).astype(np.float32).reshape(-1, cols)
    if type_name == "iq4_xs":
        b = raw.reshape(-1, 136)
        sh = np.ascontiguousarray(b[:, 2:4]).view("<u2")[:, 0].astype(np.int32)
        i = np.arange(8)
        ls = ((b[:, 4 + i // 2] >> (4 * (i % 2))) & 15).astype(np.int32) | (((sh[:, None] >> (2 * i)) & 3) << 4)
        qs = b[:, 8:].reshape(-1, 8, 16)
        q = np.concatenate([qs & 15, qs >> 4], axis=2)
        v = (_half(b[:, 0:2])[:, None] * (ls - 32).astype(np.float32))[:, :, None] * IQ4_LEVELS[q]
        return v.astype(np.float32).reshape(-1, cols)
    raise ValueError(type_name)


ENCODERS = {"q5_0": encode_q5_0, "q5_1": encode_q5_1, "q4_K": encode_q4_K, "q5_K": encode_q5_K,
            "q6_K": encode_q6_K, "q2_K": encode_q2_K, "q3_K": encode_q3_K, "iq4_nl": encode_iq4_nl,
            "iq4_xs": encode_iq4_xs}
