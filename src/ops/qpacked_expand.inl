// Expansion of packed rows (ops/qpacked.h) to bf16 or f32 for the prefill's products, in AVX2
// (8 floats at a time), included by the avx2, avx512 and avx512_bf16 levels; with AVX512-BF16 the
// rounding to bf16 is one instruction. Values exactly as qpacked_loops.inl's loop_packed_expand
// (which handles a last group of fewer than 128 elements). Needs <cstdint>, common/simd.h,
// numeric/iq4_levels.h, ops/ops_kernels.h, ops_loops.inl and qpacked_loops.inl before it, inside
// the level's namespace.

namespace packed_expand {

using qpacked::Format;

inline __m256i ld32(const void *p) { return _mm256_loadu_si256(static_cast<const __m256i *>(p)); }

inline float half_f(const uint8_t *p) {
    uint16_t h;
    __builtin_memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// 8 floats rounded to bf16 (nearest even, NaN kept quiet) into 8 uint16.
inline __m128i to_bf16(__m256 v) {
#if defined(__AVX512BF16__) && defined(__AVX512VL__)
    return reinterpret_cast<__m128i>(_mm256_cvtneps_pbh(v));
#else
    const __m256i bits = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40)), nan);
    const __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
    return _mm_packus_epi32(lo, hi);
#endif
}

inline void store8(uint16_t *o, __m256 v) { _mm_storeu_si128(reinterpret_cast<__m128i *>(o), to_bf16(v)); }
inline void store8(float *o, __m256 v) { _mm256_storeu_ps(o, v); }

// The 32 u values of a block as 4 vectors of 8 int32 (elements 8k .. 8k + 7).
inline void widen32(__m256i u, __m256i out[4]) {
    const __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
    out[0] = _mm256_cvtepu8_epi32(lo);
    out[1] = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo));
    out[2] = _mm256_cvtepu8_epi32(hi);
    out[3] = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi));
}

// The 4 blocks of the group at g inside an interleaved Q4_0 span (ops/qpacked.h), each as its 16
// nibble bytes in ggml's order (low nibbles: elements 0-15, high: 16-31). Their runs j are 16 bytes
// at 64 j + 4 b (b the group's first block in the span); a 4 x 4 transpose of the 4-byte runs.
inline void q4_0_span_blocks(const uint8_t *qs, int64_t g, __m128i blocks[4]) {
    const uint8_t *runs = qs + g / qpacked::kQ4_0Span * qpacked::kQ4_0SpanBytes + (g % qpacked::kQ4_0Span) / 8;
    __m128i r[4];
    for (int j = 0; j < 4; ++j) r[j] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(runs + 64 * j));
    const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpacklo_epi32(r[2], r[3]);
    const __m128i t2 = _mm_unpackhi_epi32(r[0], r[1]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
    blocks[0] = _mm_unpacklo_epi64(t0, t1);
    blocks[1] = _mm_unpackhi_epi64(t0, t1);
    blocks[2] = _mm_unpacklo_epi64(t2, t3);
    blocks[3] = _mm_unpackhi_epi64(t2, t3);
}

// The 32 u values of a block given as its 16 nibble bytes, as 4 vectors of 8 int32 (widen32 on the
// halves directly: no 256-bit vector to assemble and split again, the shuffles are the bottleneck).
inline void widen_nibbles(__m128i b, __m256i out[4]) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(b, m4), hi = _mm_and_si128(_mm_srli_epi16(b, 4), m4);
    out[0] = _mm256_cvtepu8_epi32(lo);
    out[1] = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo));
    out[2] = _mm256_cvtepu8_epi32(hi);
    out[3] = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi));
}

#if defined(__AVX512F__)
// 16 floats rounded to bf16 (as to_bf16) or stored as they are.
inline void store16(uint16_t *o, __m512 v) {
#if defined(__AVX512BF16__)
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(o), reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v)));
#else
    store8(o, _mm512_castps512_ps256(v));
    store8(o + 8, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
#endif
}
inline void store16(float *o, __m512 v) { _mm512_storeu_ps(o, v); }

// The 32 values d (u - 8) of a Q4_0 block given as its 16 nibble bytes: one widening per 16
// elements (the AVX2 path needs 3 shuffles per 8, and shuffles bound this loop).
template <class Out> inline void store_q4_0_block(__m128i b, float d, Out *o) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    const __m512i zero = _mm512_set1_epi32(8);
    const __m512 dv = _mm512_set1_ps(d);
    const __m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(b, m4));
    const __m512i hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(b, 4), m4));
    store16(o, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(lo, zero)), dv));
    store16(o + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(hi, zero)), dv));
}
#endif

// A group of 128 elements as 4 blocks of 32 u values (elements 0-31, 32-63, 64-95, 96-127).
inline void group_u(Format f, const uint8_t *qs, int64_t cols, int64_t g, __m256i u[4]) {
    if (f == Format::Q8_0) {
        for (int k = 0; k < 4; ++k) u[k] = ld32(qs + g + 32 * k);
        return;
    }
    if (f == Format::Q2_K || f == Format::Q3_K) {
        const __m256i p = ld32(qs + g / 4), m2 = _mm256_set1_epi8(0x03);
        for (int k = 0; k < 4; ++k) u[k] = _mm256_and_si256(_mm256_srl_epi16(p, _mm_cvtsi32_si128(2 * k)), m2);
        if (f == Format::Q3_K) {
            const __m256i h = ld32(qs + cols / 4 + (g / 256) * 32), one = _mm256_set1_epi8(1);
            const int s0 = static_cast<int>((g % 256) / 32);
            for (int k = 0; k < 4; ++k) {  // bit s0 + k of each byte, to bit 2
                const __m256i bit = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(s0 + k)), one);
                u[k] = _mm256_or_si256(u[k], _mm256_slli_epi16(bit, 2));
            }
        }
        return;
    }
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i a = ld32(qs + g / 2), c = ld32(qs + g / 2 + 32);
    u[0] = _mm256_and_si256(a, m4);
    u[1] = _mm256_and_si256(c, m4);
    u[2] = _mm256_and_si256(_mm256_srli_epi16(a, 4), m4);
    u[3] = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
    if (f == Format::IQ4_NL || f == Format::IQ4_XS) {
        // u = level + 128: the biased table in both halves, looked up by a byte shuffle
        const __m256i table = _mm256_add_epi8(
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4Levels))),
            _mm256_set1_epi8(static_cast<char>(0x80)));
        for (int k = 0; k < 4; ++k) u[k] = _mm256_shuffle_epi8(table, u[k]);
    } else if (f == Format::Q5_K) {
        const __m256i h = ld32(qs + cols / 2 + (g / 256) * 32), one = _mm256_set1_epi8(1);
        const int s0 = static_cast<int>((g % 256) / 32);
        for (int k = 0; k < 4; ++k) {
            // bit s0 + k of each byte, to bit 4
            const __m256i bit = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(s0 + k)), one);
            u[k] = _mm256_or_si256(u[k], _mm256_slli_epi16(bit, 4));
        }
    } else if (f == Format::Q6_K) {
        const __m256i p = ld32(qs + cols / 2 + (g / 128) * 32), three = _mm256_set1_epi8(3);
        for (int k = 0; k < 4; ++k) {
            const __m256i pair = _mm256_and_si256(_mm256_srl_epi16(p, _mm_cvtsi32_si128(2 * k)), three);
            u[k] = _mm256_or_si256(u[k], _mm256_slli_epi16(pair, 4));
        }
    }
}

template <class Out>
void expand_rows(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, Out *out) {
    const int64_t cols = w.cols, whole = cols / 128 * 128;
    const int64_t spanned = qpacked::spanned_cols(w.format, cols);
    const bool k_format = !format_per_32(w.format);
    const int zero32 = w.format == Format::Q4_0 ? 8 : 128;  // Q8_0, IQ4_NL: u - 128
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t *qs = w.quants_of(row0 + r);
        const uint8_t *meta = w.meta_of(row0 + r);
        Out *o = out + r * cols;
        // per sub-block (Q4_K, Q5_K: d sc, dmin mn; IQ4_XS: d (ls - 32)) or per 16 (Q6_K: d sc;
        // Q2_K: d sc, dmin mn; Q3_K: d (sc - 32))
        float factor[16], offset[16];
        for (int64_t g = 0; g < whole; g += 128) {
            __m256i u[4];
            __m128i span_blocks[4] = {};  // set when in_span (zeroed: GCC cannot see that)
            const bool in_span = g < spanned;
            if (in_span) q4_0_span_blocks(qs, g, span_blocks);
            else group_u(w.format, qs, cols, g, u);
#if defined(__AVX512F__)
            if (in_span && w.format == Format::Q4_0) {
                for (int k = 0; k < 4; ++k) store_q4_0_block(span_blocks[k], half_f(meta + 2 * (g / 32 + k)), o + g + 32 * k);
                continue;
            }
#endif
            if (k_format && g % 256 == 0) {
                const uint8_t *m = meta + (g / 256) * qpacked_meta_bytes_256(w.format);
                if (w.format == Format::Q2_K) {
                    const float d = half_f(m + 16), dmin = half_f(m + 18);
                    for (int i = 0; i < 16; ++i) {
                        factor[i] = d * static_cast<float>(m[i] & 0x0f);
                        offset[i] = dmin * static_cast<float>(m[i] >> 4);
                    }
                } else if (w.format == Format::Q3_K) {
                    const float d = half_f(m + 12);
                    for (int i = 0; i < 16; ++i) factor[i] = d * static_cast<float>(q3k_scale(m, i));
                } else if (w.format == Format::IQ4_XS) {
                    const float d = half_f(m);
                    for (int i = 0; i < 8; ++i) factor[i] = d * static_cast<float>(iq4_xs_scale(m, i) - 32);
                } else if (w.format == Format::Q6_K) {
                    const float d = half_f(m + 16);
                    for (int i = 0; i < 16; ++i) factor[i] = d * static_cast<float>(static_cast<int8_t>(m[i]));
                } else {
                    uint8_t sc[8], mn[8];
                    k4_scales(m + 4, sc, mn);
                    const float d = half_f(m), dmin = half_f(m + 2);
                    for (int i = 0; i < 8; ++i) {
                        factor[i] = d * sc[i];
                        offset[i] = dmin * mn[i];
                    }
                }
            }
            for (int k = 0; k < 4; ++k) {
                __m256i v[4];
                if (in_span) widen_nibbles(span_blocks[k], v);
                else widen32(u[k], v);
                const int64_t e0 = g + 32 * k;
                Out *ok = o + e0;
                // Every product below is exact or rounded once, as the dequantizer's, so fusing
                // cannot change a value: d sc and dmin mn have at most 17 significant bits, u 5.
                if (!k_format) {
                    const __m256 d = _mm256_set1_ps(half_f(meta + 2 * (e0 / 32)));
                    const __m256i zero = _mm256_set1_epi32(zero32);
                    for (int j = 0; j < 4; ++j)
                        store8(ok + 8 * j, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v[j], zero)), d));
                } else if (w.format == Format::Q2_K || w.format == Format::Q3_K) {
                    const int gi = static_cast<int>((e0 % 256) / 16);  // groups of 16: gi and gi + 1
                    const __m256i zero = _mm256_set1_epi32(w.format == Format::Q3_K ? 4 : 0);
                    for (int j = 0; j < 4; ++j) {
                        const __m256 prod = _mm256_mul_ps(_mm256_set1_ps(factor[gi + j / 2]),
                                                          _mm256_cvtepi32_ps(_mm256_sub_epi32(v[j], zero)));
                        store8(ok + 8 * j, w.format == Format::Q2_K
                                               ? _mm256_sub_ps(prod, _mm256_set1_ps(offset[gi + j / 2]))
                                               : prod);
                    }
                } else if (w.format == Format::IQ4_XS) {
                    const __m256 dl = _mm256_set1_ps(factor[(e0 % 256) / 32]);
                    const __m256i zero = _mm256_set1_epi32(128);
                    for (int j = 0; j < 4; ++j)
                        store8(ok + 8 * j, _mm256_mul_ps(dl, _mm256_cvtepi32_ps(_mm256_sub_epi32(v[j], zero))));
                } else if (w.format == Format::Q6_K) {
                    const int gi = static_cast<int>((e0 % 256) / 16);  // groups of 16: gi and gi + 1
                    const __m256i zero = _mm256_set1_epi32(32);
                    for (int j = 0; j < 4; ++j)
                        store8(ok + 8 * j, _mm256_mul_ps(_mm256_set1_ps(factor[gi + j / 2]),
                                                         _mm256_cvtepi32_ps(_mm256_sub_epi32(v[j], zero))));
                } else {
                    const int s = static_cast<int>((e0 % 256) / 32);
                    const __m256 d1 = _mm256_set1_ps(factor[s]), m1 = _mm256_set1_ps(offset[s]);
                    for (int j = 0; j < 4; ++j)
                        store8(ok + 8 * j, _mm256_sub_ps(_mm256_mul_ps(d1, _mm256_cvtepi32_ps(v[j])), m1));
                }
            }
        }
        if (whole < cols) {  // a last group of 32, 64 or 96 elements (Q4_0, Q8_0, IQ4_NL)
            const int64_t n = cols - whole;
            alignas(64) uint8_t uu[128];
            alignas(32) float tail[128];
            packed_group_values(w.format, qs, cols, whole, n, uu);
            for (int64_t j = 0; j < n; ++j)
                tail[j] = static_cast<float>(uu[j] - zero32) * half_f(meta + 2 * ((whole + j) / 32));
            for (int64_t j = 0; j < n; j += 8) store8(o + whole + j, _mm256_load_ps(tail + j));
        }
    }
}

}  // namespace packed_expand
