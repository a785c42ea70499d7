// Plain-loop versions of the packed-format kernels (contracts in ops_kernels.h, layouts in
// ops/qpacked.h), included inside a level's namespace after ops_loops.inl: the generic level's
// kernels, the reference of the tests, and the fallbacks of the other levels. Builtins only; needs
// numeric/iq4_levels.h before the level's namespace.
// The integer sums are exact and the float steps are those of the vector kernels, so the levels
// differ only in the order in which floats are added.

inline float half_bits_to_f32(uint16_t h) {  // exact, branch-free as numeric/tensor_types.cpp's
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7fffu;
    const uint32_t normal = (em << 13) + 0x38000000u;
    const uint32_t inf_mask = 0u - static_cast<uint32_t>(em >= 0x7c00u);
    const uint32_t wide = normal + (inf_mask & 0x38000000u);
    uint32_t sub_bits;
    float sub = 0.0f;
    const uint32_t half_bits = 0x3f000000u | em;
    __builtin_memcpy(&sub, &half_bits, 4);
    sub -= 0.5f;
    __builtin_memcpy(&sub_bits, &sub, 4);
    const uint32_t sub_mask = 0u - static_cast<uint32_t>(em < 0x0400u);
    const uint32_t bits = sign | (sub_bits & sub_mask) | (wide & ~sub_mask);
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

inline float half_at_bytes(const uint8_t *p) {
    uint16_t h;
    __builtin_memcpy(&h, p, 2);
    return half_bits_to_f32(h);
}

// Formats with a factor per 32 elements, read with activations per 32 (the others: per 256).
inline bool format_per_32(qpacked::Format f) {
    return f == qpacked::Format::Q4_0 || f == qpacked::Format::Q8_0 || f == qpacked::Format::IQ4_NL;
}

// The u value of an IQ4 index i: its level + 128 (an unsigned byte, as Q8_0's u).
inline uint8_t iq4_u(int i) { return static_cast<uint8_t>(kIq4Levels[i] + 128); }

// The 6-bit scale of sub-block s (of 8) of an IQ4_XS block header (f16 d, u16 scales_h, scales_l[4]).
inline int iq4_xs_scale(const uint8_t *m, int s) {
    const int high = ((m[2 + s / 4] >> (2 * (s % 4))) & 3) << 4;  // bits 2s, 2s + 1 of the u16 scales_h
    return ((m[4 + s / 2] >> (4 * (s % 2))) & 0x0f) | high;
}

// The 8 scales ls_s - 32 of an IQ4_XS block header as int8 in the bytes of a uint64 (byte s: sub-block
// s), by spreading the fields with shifts and masks: nibble s of scales_l holds bits 0-3 of ls_s,
// bits 2s, 2s + 1 of scales_h its bits 4-5.
inline uint64_t iq4_xs_scales8(const uint8_t *m) {
    uint32_t lo32;
    uint16_t hi16;
    __builtin_memcpy(&hi16, m + 2, 2);
    __builtin_memcpy(&lo32, m + 4, 4);
    uint64_t lo = lo32;
    lo = (lo | (lo << 16)) & 0x0000ffff0000ffffull;
    lo = (lo | (lo << 8)) & 0x00ff00ff00ff00ffull;
    lo = (lo | (lo << 4)) & 0x0f0f0f0f0f0f0f0full;
    uint64_t hi = hi16;
    hi = (hi | (hi << 24)) & 0x000000ff000000ffull;
    hi = (hi | (hi << 12)) & 0x000f000f000f000full;
    hi = (hi | (hi << 6)) & 0x0303030303030303ull;
    // ls - 32 per byte, no borrow between bytes: (ls | 0x80) - 32 stays in its byte (ls < 64), the
    // xor restores the sign bit.
    const uint64_t ls = lo | (hi << 4);
    return ((ls | 0x8080808080808080ull) - 0x2020202020202020ull) ^ 0x8080808080808080ull;
}

// Meta bytes per 256 elements of the 256-element formats.
inline int64_t qpacked_meta_bytes_256(qpacked::Format f) {
    switch (f) {
        case qpacked::Format::Q6_K: return 18;
        case qpacked::Format::IQ4_XS: return 8;
        case qpacked::Format::Q2_K: return 20;
        case qpacked::Format::Q3_K: return 14;
        default: return 16;  // Q4_K, Q5_K
    }
}

// The 16 six-bit scales of a Q3_K block header (12 bytes), minus 32, as int8: byte i of w[k] is
// scale 4 k + i (low 4 bits in scales[s % 8], low nibble for s < 8; high 2 bits at bits 2 (s / 4)
// of scales[8 + s % 4]).
inline void q3k_scales16(const uint8_t *m, uint32_t w[4]) {
    uint32_t a0, a1, t;
    __builtin_memcpy(&a0, m, 4);
    __builtin_memcpy(&a1, m + 4, 4);
    __builtin_memcpy(&t, m + 8, 4);
    w[0] = (a0 & 0x0f0f0f0fu) | ((t & 0x03030303u) << 4);
    w[1] = (a1 & 0x0f0f0f0fu) | (((t >> 2) & 0x03030303u) << 4);
    w[2] = ((a0 >> 4) & 0x0f0f0f0fu) | (((t >> 4) & 0x03030303u) << 4);
    w[3] = ((a1 >> 4) & 0x0f0f0f0fu) | (((t >> 6) & 0x03030303u) << 4);
    for (int k = 0; k < 4; ++k) w[k] = ((w[k] | 0x80808080u) - 0x20202020u) ^ 0x80808080u;  // as iq4_xs_scales8
}

inline int q3k_scale(const uint8_t *m, int s) {
    uint32_t w[4];
    q3k_scales16(m, w);
    return static_cast<int8_t>(static_cast<uint8_t>(w[s / 4] >> (8 * (s % 4))));
}

// Element e (0 <= e < n) of a nibble group of n elements: byte e of its low half, or the high
// nibble of byte e - n/2.
inline int group_nibble(const uint8_t *group, int64_t n, int64_t e) {
    return e < n / 2 ? (group[e] & 0x0f) : (group[e - n / 2] >> 4);
}

// The 8 six-bit scales and mins of a q4_K / q5_K block header (numeric/tensor_types.h).
inline void k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = static_cast<uint8_t>((q[j + 8] & 0x0f) | ((q[j] >> 6) << 4));
        mn[j + 4] = static_cast<uint8_t>((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

// The u values of the n elements of the group starting at column g (n = 128, or less for the last
// group of a Q4_0 / Q8_0 row), in plain loops the compiler vectorises.
inline void packed_group_values(qpacked::Format format, const uint8_t *qs, int64_t cols, int64_t g, int64_t n,
                                uint8_t *u) {
    if (format == qpacked::Format::Q8_0) {
        for (int64_t j = 0; j < n; ++j) u[j] = qs[g + j];
        return;
    }
    if (format == qpacked::Format::Q2_K || format == qpacked::Format::Q3_K) {
        const uint8_t *pairs = qs + g / 4;
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) u[32 * k + l] = static_cast<uint8_t>((pairs[l] >> (2 * k)) & 3);
        if (format == qpacked::Format::Q3_K) {
            const uint8_t *high = qs + cols / 4 + (g / 256) * 32;
            const int shift0 = static_cast<int>((g % 256) / 32);
            for (int k = 0; k < 4; ++k)
                for (int l = 0; l < 32; ++l)
                    u[32 * k + l] = static_cast<uint8_t>(u[32 * k + l] | (((high[l] >> (shift0 + k)) & 1) << 2));
        }
        return;
    }
    if (g < qpacked::spanned_cols(format, cols)) {
        // Inside an interleaved span: run j of block (Q4_K: sub-block) i at byte 64 j + 4 i
        // (ops/qpacked.h).
        const uint8_t *span = qs + g / qpacked::kQ4_0Span * qpacked::kQ4_0SpanBytes;
        const int64_t first = (g % qpacked::kQ4_0Span) / 32;
        for (int64_t b = 0; b < 4; ++b)
            for (int64_t m = 0; m < 16; ++m) {
                const uint8_t byte = span[64 * (m / 4) + 4 * (first + b) + m % 4];
                u[32 * b + m] = byte & 0x0f;
                u[32 * b + 16 + m] = byte >> 4;
            }
        return;
    }
    const uint8_t *nib = qs + g / 2;
    const int64_t h = n / 2;
    for (int64_t j = 0; j < h; ++j) {
        u[j] = nib[j] & 0x0f;
        u[h + j] = nib[j] >> 4;
    }
    if (format == qpacked::Format::IQ4_NL || format == qpacked::Format::IQ4_XS) {
        for (int64_t j = 0; j < n; ++j) u[j] = iq4_u(u[j]);
    } else if (format == qpacked::Format::Q5_K) {
        const uint8_t *high = qs + cols / 2 + (g / 256) * 32;
        const int shift0 = static_cast<int>((g % 256) / 32);  // sub-blocks shift0 .. shift0 + 3
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) u[32 * k + l] = static_cast<uint8_t>(u[32 * k + l] | (((high[l] >> (shift0 + k)) & 1) << 4));
    } else if (format == qpacked::Format::Q6_K) {
        const uint8_t *pairs = qs + cols / 2 + (g / 128) * 32;
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) u[32 * k + l] = static_cast<uint8_t>(u[32 * k + l] | (((pairs[l] >> (2 * k)) & 3) << 4));
    }
}

// Q4_0 / Q8_0 / IQ4_NL: sum over blocks of d_x (d_w dot) - zero d_w (d_x sum q).
inline float loop_dot_row_32(qpacked::Format format, const uint8_t *qs, const uint8_t *meta, int64_t cols,
                             const qblocks::QuantizedActivations &x) {
    const float zero = format == qpacked::Format::Q4_0 ? 8.0f : 128.0f;
    uint8_t u[128];
    float sum = 0.0f;
    for (int64_t g = 0; g < cols; g += 128) {
        const int64_t n = cols - g < 128 ? cols - g : 128;
        packed_group_values(format, qs, cols, g, n, u);
        for (int64_t k = 0; k < n / 32; ++k) {
            const int64_t b = g / 32 + k;
            int32_t dot = 0;
            for (int j = 0; j < 32; ++j) dot += u[32 * k + j] * x.q[32 * b + j];
            const float dw = half_at_bytes(meta + 2 * b);
            sum += x.d[b] * (dw * static_cast<float>(dot)) - zero * dw * x.d_sum[b];
        }
    }
    return sum;
}

// K formats: per block of 256, d_x (d sum_s sc_s dot_s - dmin sum_s mn_s qsum_s) (q4_K, q5_K; per
// 16 for q2_K), d_x d sum_g sc_g (dot_g - z qsum_g) (q6_K: z = 32, q3_K: sc_g - 32, z = 4) or
// d_x d sum_s (ls_s - 32) (dot_s - 128 qsum_s) (iq4_xs), the sums over the block in integers.
inline float loop_dot_row_k(qpacked::Format format, const uint8_t *qs, const uint8_t *meta, int64_t cols,
                            const qpacked::KActivations &x) {
    uint8_t u[256];
    float sum = 0.0f;
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        packed_group_values(format, qs, cols, 256 * sb, 128, u);
        packed_group_values(format, qs, cols, 256 * sb + 128, 128, u + 128);
        const int8_t *xq = x.q + 256 * sb;
        const int16_t *bs = x.bsums + 16 * sb;
        if (format == qpacked::Format::Q2_K || format == qpacked::Format::Q3_K) {
            const bool two = format == qpacked::Format::Q2_K;
            const uint8_t *m = meta + (two ? 20 : 14) * sb;
            int32_t isum = 0, msum = 0;
            for (int g = 0; g < 16; ++g) {
                int32_t dot = 0;
                for (int j = 16 * g; j < 16 * g + 16; ++j) dot += u[j] * xq[j];
                if (two) {
                    isum += (m[g] & 0x0f) * dot;
                    msum += (m[g] >> 4) * bs[g];
                } else {
                    isum += q3k_scale(m, g) * (dot - 4 * bs[g]);
                }
            }
            if (two) {
                sum += x.d[sb] * half_at_bytes(m + 16) * static_cast<float>(isum) -
                       x.d[sb] * half_at_bytes(m + 18) * static_cast<float>(msum);
            } else {
                sum += x.d[sb] * half_at_bytes(m + 12) * static_cast<float>(isum);
            }
            continue;
        }
        if (format == qpacked::Format::IQ4_XS) {
            const uint8_t *m = meta + 8 * sb;
            int32_t isum = 0;
            for (int s = 0; s < 8; ++s) {
                int32_t dot = 0;
                for (int j = 32 * s; j < 32 * s + 32; ++j) dot += u[j] * xq[j];
                isum += (iq4_xs_scale(m, s) - 32) * (dot - 128 * (bs[2 * s] + bs[2 * s + 1]));
            }
            sum += x.d[sb] * half_at_bytes(m) * static_cast<float>(isum);
            continue;
        }
        if (format == qpacked::Format::Q6_K) {
            const uint8_t *m = meta + 18 * sb;
            int32_t isum = 0;
            for (int g = 0; g < 16; ++g) {
                int32_t dot = 0;
                for (int j = 16 * g; j < 16 * g + 16; ++j) dot += u[j] * xq[j];
                isum += static_cast<int8_t>(m[g]) * (dot - 32 * bs[g]);
            }
            sum += x.d[sb] * half_at_bytes(m + 16) * static_cast<float>(isum);
            continue;
        }
        const uint8_t *m = meta + 16 * sb;
        uint8_t sc[8], mn[8];
        k4_scales(m + 4, sc, mn);
        int32_t isum = 0, msum = 0;
        for (int s = 0; s < 8; ++s) {
            int32_t dot = 0;
            for (int j = 32 * s; j < 32 * s + 32; ++j) dot += u[j] * xq[j];
            isum += sc[s] * dot;
            msum += mn[s] * (bs[2 * s] + bs[2 * s + 1]);
        }
        sum += x.d[sb] * half_at_bytes(m) * static_cast<float>(isum) -
               x.d[sb] * half_at_bytes(m + 2) * static_cast<float>(msum);
    }
    return sum;
}

inline void loop_packed_dot_rows(const qpacked::PackedView &w, int64_t row0, int64_t row1,
                                 const qpacked::PackedActivations &x, float *y) {
    for (int64_t r = row0; r < row1; ++r) {
        const uint8_t *qs = w.quants_of(r);
        const uint8_t *meta = w.meta_of(r);
        y[r - row0] = format_per_32(w.format)
                          ? loop_dot_row_32(w.format, qs, meta, w.cols, x.a32)
                          : loop_dot_row_k(w.format, qs, meta, w.cols, x.a256);
    }
}

// Activations per 256 (ggml's q8_K, with ggml's q8_0 rounding): d = max|x| / 127,
// q = round(x / d), and the sum of each 16 q.
inline void loop_quantize_k_activations(const float *x, int64_t cols, qpacked::KActivations &out) {
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const float *xb = x + 256 * sb;
        float amax = 0.0f;
        for (int j = 0; j < 256; ++j) amax = larger_or_first(amax, __builtin_fabsf(xb[j]));
        const float d = amax / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        for (int g = 0; g < 16; ++g) {
            int32_t sum = 0;
            for (int j = 16 * g; j < 16 * g + 16; ++j) {
                const float r = clamp_127(__builtin_nearbyintf(xb[j] * inv));
                const int32_t q = static_cast<int32_t>(r);
                out.q[256 * sb + j] = static_cast<int8_t>(q);
                sum += q;
            }
            out.bsums[16 * sb + g] = static_cast<int16_t>(sum);
        }
        out.d[sb] = d;
    }
}

// Element values of rows [row0, row0 + n_rows), as the dequantizers give them (qpacked.h).
template <class Out, class Store>
inline void loop_packed_expand(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, Out *out, Store store) {
    const int64_t cols = w.cols;
    alignas(64) uint8_t u[256];
    alignas(64) float v[256];
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t *qs = w.quants_of(row0 + r);
        const uint8_t *meta = w.meta_of(row0 + r);
        Out *o = out + r * cols;
        if (format_per_32(w.format)) {
            const int zero = w.format == qpacked::Format::Q4_0 ? 8 : 128;
            for (int64_t g = 0; g < cols; g += 128) {
                const int64_t n = cols - g < 128 ? cols - g : 128;
                packed_group_values(w.format, qs, cols, g, n, u);
                for (int64_t b = 0; b < n / 32; ++b) {
                    const float d = half_at_bytes(meta + 2 * (g / 32 + b));
                    for (int j = 0; j < 32; ++j) v[32 * b + j] = static_cast<float>(u[32 * b + j] - zero) * d;
                }
                for (int64_t j = 0; j < n; ++j) o[g + j] = store(v[j]);
            }
            continue;
        }
        for (int64_t sb = 0; sb < cols / 256; ++sb) {
            packed_group_values(w.format, qs, cols, 256 * sb, 128, u);
            packed_group_values(w.format, qs, cols, 256 * sb + 128, 128, u + 128);
            if (w.format == qpacked::Format::Q2_K) {
                const uint8_t *m = meta + 20 * sb;
                const float d = half_at_bytes(m + 16), dmin = half_at_bytes(m + 18);
                for (int g = 0; g < 16; ++g) {
                    const float dl = d * static_cast<float>(m[g] & 0x0f), ml = dmin * static_cast<float>(m[g] >> 4);
                    for (int j = 16 * g; j < 16 * g + 16; ++j) v[j] = dl * static_cast<float>(u[j]) - ml;
                }
            } else if (w.format == qpacked::Format::Q3_K) {
                const uint8_t *m = meta + 14 * sb;
                const float d = half_at_bytes(m + 12);
                for (int g = 0; g < 16; ++g) {
                    const float dl = d * static_cast<float>(q3k_scale(m, g));
                    for (int j = 16 * g; j < 16 * g + 16; ++j) v[j] = dl * static_cast<float>(u[j] - 4);
                }
            } else if (w.format == qpacked::Format::IQ4_XS) {
                const uint8_t *m = meta + 8 * sb;
                const float d = half_at_bytes(m);
                for (int s = 0; s < 8; ++s) {
                    const float dl = d * static_cast<float>(iq4_xs_scale(m, s) - 32);
                    for (int j = 32 * s; j < 32 * s + 32; ++j) v[j] = dl * static_cast<float>(u[j] - 128);
                }
            } else if (w.format == qpacked::Format::Q6_K) {
                const uint8_t *m = meta + 18 * sb;
                const float d = half_at_bytes(m + 16);
                for (int g = 0; g < 16; ++g) {
                    const float s = d * static_cast<float>(static_cast<int8_t>(m[g]));
                    for (int j = 16 * g; j < 16 * g + 16; ++j) v[j] = s * static_cast<float>(u[j] - 32);
                }
            } else {
                const uint8_t *m = meta + 16 * sb;
                const float d = half_at_bytes(m), dmin = half_at_bytes(m + 2);
                uint8_t sc[8], mn[8];
                k4_scales(m + 4, sc, mn);
                for (int s = 0; s < 8; ++s) {
                    const float d1 = d * sc[s], m1 = dmin * mn[s];
                    // (A level compiled with FMA may fuse this: within one rounding of the dequantizer.)
                    for (int j = 32 * s; j < 32 * s + 32; ++j) v[j] = d1 * static_cast<float>(u[j]) - m1;
                }
            }
            for (int j = 0; j < 256; ++j) o[256 * sb + j] = store(v[j]);
        }
    }
}

inline void loop_packed_rows_to_bf16(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, uint16_t *out) {
    loop_packed_expand(w, row0, n_rows, out, f32_to_bf16_bits);
}

inline void loop_packed_rows_to_f32(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, float *out) {
    loop_packed_expand(w, row0, n_rows, out, [](float v) { return v; });
}
