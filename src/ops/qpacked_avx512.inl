// AVX-512 kernels of the packed quantized formats (ops/qpacked.h), included by the avx512 level
// (AVX-512 F/BW: maddubs + madd) and by the avx512_bf16 level (which adds VNNI: Q4_0, Q8_0 and
// IQ4_NL use vpdpbusd). One 64-byte load of a nibble group gives elements 0-63 (low nibbles) and
// 64-127 (high nibbles), which meet 64 consecutive activations each; IQ4 indexes become levels by
// a byte shuffle of the 16-entry table. Needs <cstdint>, common/simd.h, numeric/iq4_levels.h,
// ops/ops_kernels.h, ops/weight_prefetch.h, ops_loops.inl and qpacked_loops.inl before it,
// inside the level's namespace.

namespace avx512_packed {

using qpacked::Format;

inline __m512i load64(const void *p) { return _mm512_loadu_si512(p); }
inline __m256i load32(const void *p) { return _mm256_loadu_si256(static_cast<const __m256i *>(p)); }

inline float half_f(const uint8_t *p) {
    uint16_t h;
    __builtin_memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// sum(u * q) per 4 bytes as int32, for unsigned u and signed q (u <= 127 without VNNI).
inline __m512i dot_u8(__m512i u, __m512i q) {
#if defined(__AVX512VNNI__)
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, q);
#else
    return _mm512_madd_epi16(_mm512_maddubs_epi16(u, q), _mm512_set1_epi16(1));
#endif
}

// Pair sums of u * q (u <= 63) multiplied by the int16 factor of their lane, summed into int32.
inline __m512i dot_scaled(__m512i u, __m512i q, __m512i factors) {
    return _mm512_madd_epi16(_mm512_maddubs_epi16(u, q), factors);
}

// acc + dot_scaled(u, q, factors): with VNNI the factor product and the addition are one vpdpwssd
// (the same int32 sums, one instruction fewer per 64 bytes).
inline __m512i add_dot_scaled(__m512i acc, __m512i u, __m512i q, __m512i factors) {
#if defined(__AVX512VNNI__)
    return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, q), factors);
#else
    return _mm512_add_epi32(acc, dot_scaled(u, q, factors));
#endif
}

// Lane indexes that spread 4 block factors over two vectors: blocks 0, 1 and blocks 2, 3.
inline __m512i pair_index(int first) {
    return _mm512_set_epi32(first + 1, first + 1, first + 1, first + 1, first + 1, first + 1, first + 1, first + 1,
                            first, first, first, first, first, first, first, first);
}

// q with the sign of w moved onto it, so that maddubs can take |w| (<= 128) as its unsigned operand.
inline __m512i sign_of_w_onto_q(__m512i w, __m512i q) {
    return _mm512_mask_sub_epi8(q, _mm512_movepi8_mask(w), _mm512_setzero_si512(), q);
}

// Pair sums of w * q for signed w (|w| <= 128, |q| <= 127), multiplied by the int16 factor of their
// lane and summed into int32.
inline __m512i dot_signed_scaled(__m512i w, __m512i q, __m512i factors) {
    return dot_scaled(_mm512_abs_epi8(w), sign_of_w_onto_q(w, q), factors);
}

// acc + dot_signed_scaled(w, q, factors), one vpdpwssd for the last two steps with VNNI.
inline __m512i add_dot_signed_scaled(__m512i acc, __m512i w, __m512i q, __m512i factors) {
    return add_dot_scaled(acc, _mm512_abs_epi8(w), sign_of_w_onto_q(w, q), factors);
}

// The 16 iq4 levels in every 128-bit lane, plus `bias` (a byte shuffle by the indexes looks them up).
inline __m512i iq4_table(int bias) {
    const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4Levels));
    return _mm512_broadcast_i32x4(_mm_add_epi8(t, _mm_set1_epi8(static_cast<char>(bias))));
}

// ---- Activations quantized to int8 (the one-row input of every decode product) ----------------

// |x| reduced by max over 16 lanes, NaN lanes skipped (vmaxps keeps its second operand when either
// is NaN), as the plain loop's larger_or_first does.
inline __m512 abs_max_into(__m512 acc, __m512 v) { return _mm512_max_ps(_mm512_abs_ps(v), acc); }

// q = clamp(round(v * inv), -127, 127) as int32 lanes: the plain loop's nearbyint (current rounding
// mode, no exception) and clamp_127 (a NaN becomes -127).
inline __m512i quantize16(__m512 v, __m512 inv) {
    __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(v, inv), _MM_FROUND_CUR_DIRECTION | _MM_FROUND_NO_EXC);
    r = _mm512_min_ps(_mm512_max_ps(r, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    return _mm512_cvtps_epi32(r);
}

// Per 32 (qblocks::quantize_activations); the same values as loop_quantize_activations.
inline void quantize_activations(const float *x, int64_t cols, qblocks::QuantizedActivations &out) {
    for (int64_t b = 0; b < cols / 32; ++b) {
        const __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(abs_max_into(abs_max_into(_mm512_setzero_ps(), v0), v1));
        const float d = amax / 127.0f;
        const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        const __m512i q0 = quantize16(v0, inv), q1 = quantize16(v1, inv);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out.q + 32 * b), _mm512_cvtepi32_epi8(q0));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out.q + 32 * b + 16), _mm512_cvtepi32_epi8(q1));
        out.d[b] = d;
        out.d_sum[b] = d * static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1)));
    }
}

// Per 256 with the sums of each 16 (qpacked::quantize_k_activations); the same values as
// loop_quantize_k_activations.
inline void quantize_k_activations(const float *x, int64_t cols, qpacked::KActivations &out) {
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const float *xb = x + 256 * sb;
        __m512 acc = _mm512_setzero_ps();
        for (int g = 0; g < 16; ++g) acc = abs_max_into(acc, _mm512_loadu_ps(xb + 16 * g));
        const float d = _mm512_reduce_max_ps(acc) / 127.0f;
        const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        for (int g = 0; g < 16; ++g) {
            const __m512i q = quantize16(_mm512_loadu_ps(xb + 16 * g), inv);
            _mm_storeu_si128(reinterpret_cast<__m128i *>(out.q + 256 * sb + 16 * g), _mm512_cvtepi32_epi8(q));
            out.bsums[16 * sb + g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
        }
        out.d[sb] = d;
    }
}

// ---- Q4_0, Q8_0, IQ4_NL: per group of 128 elements (4 blocks), one float factor per block ----

// sum((u - 128) * q) for the bytes of a Q8_0 row: with VNNI the unsigned product (the 128 comes
// back through the block offsets), without it the weights made signed and their sign moved onto q.
inline __m512i dot_q8(__m512i u, __m512i q) {
#if defined(__AVX512VNNI__)
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, q);
#else
    return dot_signed_scaled(_mm512_xor_si512(u, _mm512_set1_epi8(static_cast<char>(0x80))), q, _mm512_set1_epi16(1));
#endif
}

// IQ4_NL's levels as dot_q8 reads them: u = level + 128 with VNNI, the signed level without
// (dot_iq4 then skips dot_q8's sign flip).
inline __m512i iq4_nl_table() {
#if defined(__AVX512VNNI__)
    return iq4_table(128);
#else
    return iq4_table(0);
#endif
}

inline __m512i dot_iq4(__m512i w, __m512i q) {
#if defined(__AVX512VNNI__)
    return dot_q8(w, q);
#else
    return dot_signed_scaled(w, q, _mm512_set1_epi16(1));
#endif
}

// The dot products of one group of 128 elements (4 blocks): elements 0-63 (blocks 0, 1) and 64-127
// (blocks 2, 3), as int32 lanes, 8 per block.
template <Format F>
inline void group_dots(const uint8_t *qs, int64_t g, const int8_t *xq, __m512i table, __m512i &d0, __m512i &d1) {
    if (F == Format::Q8_0) {
        d0 = dot_q8(load64(qs + g), load64(xq + g));
        d1 = dot_q8(load64(qs + g + 64), load64(xq + g + 64));
        return;
    }
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i w = load64(qs + g / 2);
    const __m512i lo = _mm512_and_si512(w, m4), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
    if (F == Format::IQ4_NL) {
        d0 = dot_iq4(_mm512_shuffle_epi8(table, lo), load64(xq + g));
        d1 = dot_iq4(_mm512_shuffle_epi8(table, hi), load64(xq + g + 64));
    } else {
        d0 = dot_u8(lo, load64(xq + g));
        d1 = dot_u8(hi, load64(xq + g + 64));
    }
}

// Q8_0 and IQ4_NL without VNNI multiply the signed values directly: no offset term.
template <Format F> constexpr bool has_offset() {
#if defined(__AVX512VNNI__)
    return true;
#else
    return F == Format::Q4_0;
#endif
}

// Lane indexes spreading block factors 2k and 2k + 1 of 16 over the two halves of a vector.
inline __m512i spread_index(int k) { return pair_index(2 * k); }

// The sums of one interleaved span of 512 elements (ops/qpacked.h; Q4_0's blocks or Q4_K's
// sub-blocks) over its 8 loads of activations. With VNNI, int32 lane i holds block i's sum. Without,
// int16 lanes 2i and 2i + 1 hold block i's pair sums: 8 maddubs pairs of at most 2 * 15 * 127 each,
// 30,480 in all, so they add as int16, and the one madd that widens them can apply a factor per
// block at the same time.
inline __m512i span_sums(const uint8_t *span, const int8_t *xq) {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j) {
        const __m512i v = load64(span + 64 * j);
        const __m512i vl = _mm512_and_si512(v, m4), vh = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
#if defined(__AVX512VNNI__)
        lo = _mm512_dpbusd_epi32(lo, vl, load64(xq + 128 * j));
        hi = _mm512_dpbusd_epi32(hi, vh, load64(xq + 128 * j + 64));
#else
        lo = _mm512_add_epi16(lo, _mm512_maddubs_epi16(vl, load64(xq + 128 * j)));
        hi = _mm512_add_epi16(hi, _mm512_maddubs_epi16(vh, load64(xq + 128 * j + 64)));
#endif
    }
#if defined(__AVX512VNNI__)
    return _mm512_add_epi32(lo, hi);
#else
    return _mm512_add_epi16(lo, hi);
#endif
}

// The interleaved spans of a Q4_0 row (ops/qpacked.h): per span, the 8 loads of activations in
// x.q_q4_0's order meet the 4 loads of weights so that lane i sums block i alone (span_sums); then
// one conversion and one product with the 16 block factors. Adds to acc and off; returns the blocks
// done.
inline int64_t q4_0_spans(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qblocks::QuantizedActivations &x,
                          __m512 &acc, __m512 &off) {
    const int64_t spanned = qpacked::q4_0_spanned(cols);
    for (int64_t s = 0; s < spanned; s += qpacked::kQ4_0Span) {
#if defined(__AVX512VNNI__)
        const __m512i sums = span_sums(qs + s / 2, x.q_q4_0 + s);
#else
        const __m512i sums = _mm512_madd_epi16(span_sums(qs + s / 2, x.q_q4_0 + s), _mm512_set1_epi16(1));
#endif
        const int64_t b = s / 32;
        const __m512 dw = _mm512_cvtph_ps(load32(meta + 2 * b));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(dw, _mm512_loadu_ps(x.d + b)), acc);
        off = _mm512_fmadd_ps(dw, _mm512_loadu_ps(x.d_sum + b), off);
    }
    return spanned / 32;
}

template <Format F>
float row_32(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qblocks::QuantizedActivations &x) {
    if (F == Format::Q4_0 && x.q_q4_0 == nullptr) return loop_dot_row_32(F, qs, meta, cols, x);
    const __m512i table = F == Format::IQ4_NL ? iq4_nl_table() : _mm512_setzero_si512();
    const __m512i idx[8] = {spread_index(0), spread_index(1), spread_index(2), spread_index(3),
                            spread_index(4), spread_index(5), spread_index(6), spread_index(7)};
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), off = _mm512_setzero_ps();
    const int64_t nb = cols / 32;
    int64_t b = F == Format::Q4_0 ? q4_0_spans(qs, meta, cols, x, acc0, off) : 0;
    // 16 blocks (4 groups) per step: their 16 factors from one conversion.
    for (; b + 16 <= nb; b += 16) {
        const __m512 dw = _mm512_cvtph_ps(load32(meta + 2 * b));
        const __m512 s = _mm512_mul_ps(dw, _mm512_loadu_ps(x.d + b));
        if (has_offset<F>()) off = _mm512_fmadd_ps(dw, _mm512_loadu_ps(x.d_sum + b), off);
        for (int k = 0; k < 4; ++k) {
            __m512i d0, d1;
            group_dots<F>(qs, 32 * b + 128 * k, x.q, table, d0, d1);
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_permutexvar_ps(idx[2 * k], s), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_permutexvar_ps(idx[2 * k + 1], s), acc1);
        }
    }
    // Whole groups left: 4 factors at a time.
    __m128 off4 = _mm_setzero_ps();
    for (; b + 4 <= nb && 32 * b + 128 <= cols / 128 * 128; b += 4) {
        const __m128 dw = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(meta + 2 * b)));
        const __m512 s = _mm512_castps128_ps512(_mm_mul_ps(dw, _mm_loadu_ps(x.d + b)));
        if (has_offset<F>()) off4 = _mm_fmadd_ps(dw, _mm_loadu_ps(x.d_sum + b), off4);
        __m512i d0, d1;
        group_dots<F>(qs, 32 * b, x.q, table, d0, d1);
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_permutexvar_ps(idx[0], s), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_permutexvar_ps(idx[1], s), acc1);
    }
    const float zero = F == Format::Q4_0 ? 8.0f : 128.0f;
    __m128 o = _mm_add_ps(off4, _mm_movehl_ps(off4, off4));
    o = _mm_add_ss(o, _mm_movehdup_ps(o));
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) -
                zero * (_mm512_reduce_add_ps(off) + _mm_cvtss_f32(o));
    const int64_t done = 32 * b;
    if (done < cols) {  // a last group of 32, 64 or 96 elements: the plain loop's formula
        const int64_t n = cols - done;
        for (int64_t k = 0; k < n / 32; ++k) {
            int32_t dot = 0;
            for (int64_t e = 32 * k; e < 32 * k + 32; ++e) {
                const int u = F == Format::Q8_0    ? qs[done + e]
                              : F == Format::IQ4_NL ? iq4_u(group_nibble(qs + done / 2, n, e))
                                                    : group_nibble(qs + done / 2, n, e);
                dot += u * x.q[done + e];
            }
            const int64_t blk = b + k;
            const float dw = half_f(meta + 2 * blk);
            sum += x.d[blk] * (dw * static_cast<float>(dot)) - zero * dw * x.d_sum[blk];
        }
    }
    return sum;
}

// ---- Q4_K, Q5_K ------------------------------------------------------------------------------

// Byte-shuffle control that, applied to 8 int16 factors repeated in every 128-bit lane, gives
// factor a in int16 lanes 0-15 and factor b in lanes 16-31 (an in-lane shuffle: cheaper than a
// cross-lane permute).
inline __m512i two_factor_shuffle(int a, int b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<short>(2 * a | (2 * a + 1) << 8))),
                              _mm256_set1_epi16(static_cast<short>(2 * b | (2 * b + 1) << 8)), 1);
}

// int16 shift counts: c0 for the low 256 bits, c1 for the high.
inline __m512i two_counts(int c0, int c1) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<short>(c0))),
                              _mm256_set1_epi16(static_cast<short>(c1)), 1);
}

// A Q4_K / Q5_K header's scales and mins (layout in k4_scales.inl) for four headers, one per 128-bit
// lane.
inline __m512i k4_scales_of_4(__m512i v) {
    const __m512i a = _mm512_shuffle_epi32(v, _MM_PERM_ENUM(_MM_SHUFFLE(3, 2, 3, 1)));  // w0, w2, w1, w2
    const __m512i b = _mm512_shuffle_epi32(v, _MM_PERM_ENUM(_MM_SHUFFLE(2, 2, 1, 1)));  // w0, w0, w1, w1
    const __m512i low6 = _mm512_and_si512(a, _mm512_set1_epi32(0x3f3f3f3f));
    const __m512i shift = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
    const __m512i nibbles = _mm512_and_si512(_mm512_srlv_epi32(a, shift), _mm512_set1_epi32(0x0f0f0f0f));
    const __m512i top2 = _mm512_and_si512(_mm512_srli_epi32(b, 2), _mm512_set1_epi32(0x30303030));
    return _mm512_mask_blend_epi32(0xaaaa, low6, _mm512_or_si512(nibbles, top2));
}

// Byte-shuffle control for the scales of two vectors of int32 sums packed into int16
// (vpackssdw, per 128-bit lane: 4 sums of the first vector, then 4 of the second). The first
// vector holds sub-blocks first, first + 1 in its halves, the second first + 2, first + 3; so
// lanes 0-1 take factors first and first + 2, lanes 2-3 first + 1 and first + 3, each 4 times.
inline __m512i packed_factor_shuffle(int first) {
    alignas(64) int16_t control[32];
    for (int i = 0; i < 32; ++i) {
        const int k = first + (i >= 16 ? 1 : 0) + (i % 8 >= 4 ? 2 : 0);
        control[i] = static_cast<int16_t>(2 * k | (2 * k + 1) << 8);
    }
    return _mm512_load_si512(control);
}

// The constants of k45_block_sum, made once per row.
struct K45Constants {
    __m512i m4 = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
    // fifth bits: sub-block s sits in bit s of each byte; these shifts bring it to bit 4
    __m512i left0 = two_counts(4, 3), left1 = two_counts(2, 1), right2 = two_counts(0, 1), right3 = two_counts(2, 3);
#if defined(__AVX512VNNI__)
    __m512i pick[2] = {packed_factor_shuffle(0), packed_factor_shuffle(4)};
#else
    __m512i pick[4] = {two_factor_shuffle(0, 1), two_factor_shuffle(2, 3), two_factor_shuffle(4, 5),
                       two_factor_shuffle(6, 7)};
#endif
};

// One Q4_K / Q5_K block of 256 outside the spans (groups of 128, ops/qpacked.h): sum_s sc_s dot_s
// in int32 lanes, f16 its eight scales as int16 in every 128-bit lane.
template <bool Five>
inline __m512i k45_block_sum(const uint8_t *nib, const uint8_t *high32, const int8_t *xq, __m512i f16,
                             const K45Constants &c) {
    const __m512i w0 = load64(nib), w1 = load64(nib + 64);
    __m512i u0 = _mm512_and_si512(w0, c.m4), u1 = _mm512_and_si512(_mm512_srli_epi16(w0, 4), c.m4);
    __m512i u2 = _mm512_and_si512(w1, c.m4), u3 = _mm512_and_si512(_mm512_srli_epi16(w1, 4), c.m4);
    if (Five) {
        const __m512i hb = _mm512_broadcast_i64x4(load32(high32));
        u0 = _mm512_or_si512(u0, _mm512_and_si512(_mm512_sllv_epi16(hb, c.left0), c.bit4));
        u1 = _mm512_or_si512(u1, _mm512_and_si512(_mm512_sllv_epi16(hb, c.left1), c.bit4));
        u2 = _mm512_or_si512(u2, _mm512_and_si512(_mm512_srlv_epi16(hb, c.right2), c.bit4));
        u3 = _mm512_or_si512(u3, _mm512_and_si512(_mm512_srlv_epi16(hb, c.right3), c.bit4));
    }
#if defined(__AVX512VNNI__)
    // Sums of 4 products by vpdpbusd (at most 4 · 31 · 127, so int16 holds them), two vectors
    // packed into one, then one multiply by the scales: 6 multiplies per block instead of 8.
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s01 = _mm512_packs_epi32(_mm512_dpbusd_epi32(zero, u0, load64(xq)),
                                           _mm512_dpbusd_epi32(zero, u1, load64(xq + 64)));
    const __m512i s23 = _mm512_packs_epi32(_mm512_dpbusd_epi32(zero, u2, load64(xq + 128)),
                                           _mm512_dpbusd_epi32(zero, u3, load64(xq + 192)));
    return _mm512_dpwssd_epi32(_mm512_madd_epi16(s01, _mm512_shuffle_epi8(f16, c.pick[0])), s23,
                               _mm512_shuffle_epi8(f16, c.pick[1]));
#else
    __m512i isum = dot_scaled(u0, load64(xq), _mm512_shuffle_epi8(f16, c.pick[0]));
    isum = add_dot_scaled(isum, u1, load64(xq + 64), _mm512_shuffle_epi8(f16, c.pick[1]));
    isum = add_dot_scaled(isum, u2, load64(xq + 128), _mm512_shuffle_epi8(f16, c.pick[2]));
    return add_dot_scaled(isum, u3, load64(xq + 192), _mm512_shuffle_epi8(f16, c.pick[3]));
#endif
}

// Blocks t .. k - 1 of the group at block g, outside the spans: k45_block_sum each, dec the
// group's decoded headers and factors its d d_x, dmin d_x pairs. Adds to acc.
template <bool Five>
inline __m512 k45_blocks(const uint8_t *qs, int64_t cols, const qpacked::KActivations &x, int64_t g, int t, int k,
                         __m512i dec, __m512 factors, const K45Constants &consts, __m512 acc) {
    const __m512i scales = _mm512_unpacklo_epi8(dec, _mm512_setzero_si512());  // per lane: its block's scales as int16
    const __m512i lane_0 = _mm512_set_epi64(1, 0, 1, 0, 1, 0, 1, 0);
    for (; t < k; ++t) {
        const int64_t sb = g + t;
        const __m512i lane = _mm512_add_epi64(lane_0, _mm512_set1_epi64(2 * t));  // block t's qwords
        const __m512i isum = k45_block_sum<Five>(qs + 128 * sb, qs + cols / 2 + 32 * sb, x.q + 256 * sb,
                                                 _mm512_permutexvar_epi64(lane, scales), consts);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(_mm512_set1_epi32(2 * t), factors), acc);
    }
    return acc;
}

// Two Q4_K blocks in one interleaved span (ops/qpacked.h) against x.q_spans: lane i sums sub-block
// i alone over the span's 8 loads (span_sums), as Q4_0's spans do, so that no packing or scale
// shuffle is needed per 64 bytes; then one integer product with the 16 scales (scale16, a byte
// each) and one float step (f: d d_x of the sub-block's block, per lane).
inline __m512 q4_k_span(const uint8_t *span, const int8_t *xq, __m128i scale16, __m512 f, __m512 acc) {
    const __m512i sc32 = _mm512_cvtepu8_epi32(scale16);
#if defined(__AVX512VNNI__)
    const __m512i scaled = _mm512_mullo_epi32(span_sums(span, xq), sc32);
#else
    // both int16 of lane i hold sub-block i's pair sums: one madd applies the scale
    const __m512i scaled = _mm512_madd_epi16(span_sums(span, xq), _mm512_or_si512(sc32, _mm512_slli_epi32(sc32, 16)));
#endif
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(scaled), f, acc);
}

// Q4_K / Q5_K rows, four blocks of 256 at a time: their four headers are decoded by one pass in
// 512-bit registers and their mins' term is one product of 512 bits per two blocks, instead of
// each block decoding its own header in 128 bits and converting d and dmin alone (docs/BENCHMARKS.md,
// "Q4_K headers four at a time"). Q4_K's pairs of blocks in spans take q4_k_span; the blocks
// outside them (all of Q5_K's, the last of an odd count) k45_block_sum. Masked loads: a last
// group of fewer than four blocks reads nothing past its row and its activations. Constants are
// named per span rather than kept in arrays indexed by the block: GCC built such arrays on the
// stack at every call, and with rows of 2,048 (8 blocks) that cost more than the spans saved.
template <bool Five>
float row_k45(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const int64_t blocks = cols / 256;
    const int64_t span_blocks = Five ? 0 : qpacked::q4_0_spanned(cols) / 256;
    if (span_blocks > 0 && x.q_spans == nullptr) return loop_dot_row_k(Format::Q4_K, qs, meta, cols, x);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i pairs_01 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);   // block 0's mins, then block 1's
    const __m512i pairs_23 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    const __m512i dmin_01 = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    const __m512i dmin_23 = _mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 5, 5, 5, 5, 5, 5, 5, 5);
    // spans 0 and 1 of a group: the scale bytes of their blocks (qwords 0, 2 and 4, 6 of the
    // decoded headers), and d d_x of each block over its 8 lanes
    const __m512i scales_01 = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 2, 0), scales_23 = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 6, 4);
    const __m512i d_01 = _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i d_23 = _mm512_set_epi32(6, 6, 6, 6, 6, 6, 6, 6, 4, 4, 4, 4, 4, 4, 4, 4);
    const __m256i twice = _mm256_set_epi32(3, 3, 2, 2, 1, 1, 0, 0);
    // Q5_K's constants for every block; Q4_K makes its own for a last block outside the spans
    const std::conditional_t<Five, K45Constants, bool> consts{};
    __m512 accf = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    for (int64_t g = 0; g < blocks; g += 4) {
        const int k = static_cast<int>(std::min<int64_t>(4, blocks - g));
        const __m512i raw = k == 4 ? load64(meta + 16 * g)
                                   : _mm512_maskz_loadu_epi32(static_cast<__mmask16>((1u << (4 * k)) - 1), meta + 16 * g);
        const __m512i dec = k4_scales_of_4(raw);          // per lane: 8 scale bytes, then 8 min bytes
        // d | dmin of each header (its first dword) -> d, dmin, ... as floats, times the block's d_x
        const __m128i dd = _mm512_castsi512_si128(
            _mm512_permutexvar_epi32(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0), raw));
        const __m128 dx = k == 4 ? _mm_loadu_ps(x.d + g) : _mm_maskz_loadu_ps(static_cast<__mmask8>((1u << k) - 1), x.d + g);
        const __m256 x2 = _mm256_permutexvar_ps(twice, _mm256_castps128_ps256(dx));
        const __m512 factors = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_cvtph_ps(dd), x2));
        // the mins' term: each min twice against the sixteen sums of 16 of its block
        const __m512i mn = _mm512_unpackhi_epi8(dec, zero);
        const __m512i lo = _mm512_unpacklo_epi16(mn, mn), hi = _mm512_unpackhi_epi16(mn, mn);
        const __m512i sums01 = k > 1 ? load64(x.bsums + 16 * g) : _mm512_maskz_loadu_epi32(0xff, x.bsums + 16 * g);
        const __m512i m01 = _mm512_madd_epi16(_mm512_permutex2var_epi64(lo, pairs_01, hi), sums01);
        accm = _mm512_fmadd_ps(_mm512_cvtepi32_ps(m01), _mm512_permutexvar_ps(dmin_01, factors), accm);
        if (k > 2) {
            const __m512i sums23 = k > 3 ? load64(x.bsums + 16 * g + 32) : _mm512_maskz_loadu_epi32(0xff, x.bsums + 16 * g + 32);
            const __m512i m23 = _mm512_madd_epi16(_mm512_permutex2var_epi64(lo, pairs_23, hi), sums23);
            accm = _mm512_fmadd_ps(_mm512_cvtepi32_ps(m23), _mm512_permutexvar_ps(dmin_23, factors), accm);
        }
        int t = 0;  // blocks of the group done
        if (g + 2 <= span_blocks) {
            accf = q4_k_span(qs + 128 * g, x.q_spans + 256 * g,
                             _mm512_castsi512_si128(_mm512_permutexvar_epi64(scales_01, dec)),
                             _mm512_permutexvar_ps(d_01, factors), accf);
            t = 2;
            if (g + 4 <= span_blocks) {
                accf = q4_k_span(qs + 128 * (g + 2), x.q_spans + 256 * (g + 2),
                                 _mm512_castsi512_si128(_mm512_permutexvar_epi64(scales_23, dec)),
                                 _mm512_permutexvar_ps(d_23, factors), accf);
                t = 4;
            }
        }
        if (t < k) {
            if constexpr (Five) {
                accf = k45_blocks<Five>(qs, cols, x, g, t, k, dec, factors, consts, accf);
            } else {  // at most one block, at the row's end
                const K45Constants once;
                accf = k45_blocks<Five>(qs, cols, x, g, t, k, dec, factors, once, accf);
            }
        }
    }
    return _mm512_reduce_add_ps(accf) - _mm512_reduce_add_ps(accm);
}

// ---- IQ4_XS ----------------------------------------------------------------------------------

// Per block of 256, d_x d sum_s (ls_s - 32) dot_s: one 64-byte load of indexes gives sub-blocks
// 4G, 4G + 1 (low nibbles) and 4G + 2, 4G + 3 (high), each half of a vector with its own scale.
float row_iq4_xs(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), table = iq4_table(0);
    const __m512i pick[4] = {two_factor_shuffle(0, 1), two_factor_shuffle(2, 3), two_factor_shuffle(4, 5),
                             two_factor_shuffle(6, 7)};
    __m512 acc = _mm512_setzero_ps();
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 8 * sb;
        const int8_t *xq = x.q + 256 * sb;
        const __m128i sc8 = _mm_cvtsi64_si128(static_cast<long long>(iq4_xs_scales8(m)));
        const __m512i f16 = _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(sc8));  // in every 128-bit lane
        __m512i isum = _mm512_setzero_si512();
        for (int g = 0; g < 2; ++g) {
            const __m512i w = load64(qs + 128 * sb + 64 * g);
            const __m512i lo = _mm512_shuffle_epi8(table, _mm512_and_si512(w, m4));
            const __m512i hi = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(w, 4), m4));
            isum = add_dot_signed_scaled(isum, lo, load64(xq + 128 * g), _mm512_shuffle_epi8(f16, pick[2 * g]));
            isum = add_dot_signed_scaled(isum, hi, load64(xq + 128 * g + 64),
                                         _mm512_shuffle_epi8(f16, pick[2 * g + 1]));
        }
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(half_f(m) * x.d[sb]), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// ---- Q6_K ------------------------------------------------------------------------------------

// int16 lane indexes picking scale groups first .. first + 3, eight lanes each.
inline __m512i four_group_index(int first) {
    alignas(64) int16_t v[32];
    for (int i = 0; i < 32; ++i) v[i] = static_cast<int16_t>(first + i / 8);
    return _mm512_load_si512(v);
}

float row_q6_k(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), m2 = _mm512_set1_epi8(0x30);
    const __m512i idx[4] = {four_group_index(0), four_group_index(4), four_group_index(8), four_group_index(12)};
    // high pairs: elements j, 32 + j, 64 + j, 96 + j of a group in bits 0-1, 2-3, 4-5, 6-7 of byte j
    const __m512i lo_shift = two_counts(4, 2), hi_shift = two_counts(0, 2);
    __m512 acc = _mm512_setzero_ps();
    const uint8_t *pairs = qs + cols / 2;
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 18 * sb;
        const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i *>(m));
        const __m256i s16 = _mm256_cvtepi8_epi16(scales);
        const __m512i f16 = _mm512_castsi256_si512(s16);
        const int8_t *xq = x.q + 256 * sb;
        __m512i isum = _mm512_setzero_si512();
        for (int g = 0; g < 2; ++g) {
            const __m512i w = load64(qs + 128 * sb + 64 * g);
            const __m512i p = _mm512_broadcast_i64x4(load32(pairs + 64 * sb + 32 * g));
            const __m512i lo = _mm512_or_si512(_mm512_and_si512(w, m4),
                                               _mm512_and_si512(_mm512_sllv_epi16(p, lo_shift), m2));
            const __m512i hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(w, 4), m4),
                                               _mm512_and_si512(_mm512_srlv_epi16(p, hi_shift), m2));
            isum = add_dot_scaled(isum, lo, load64(xq + 128 * g), _mm512_permutexvar_epi16(idx[2 * g], f16));
            isum = add_dot_scaled(isum, hi, load64(xq + 128 * g + 64), _mm512_permutexvar_epi16(idx[2 * g + 1], f16));
        }
        const __m256i corr = _mm256_madd_epi16(s16, load32(x.bsums + 16 * sb));
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(_mm256_slli_epi32(corr, 5)));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(half_f(m + 16) * x.d[sb]), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// ---- Q2_K, Q3_K ------------------------------------------------------------------------------

// Per block of 256: one 32-byte load of 2-bit values per group of 128, broadcast to both halves;
// shifts by 0 | 2 give elements 0-63, by 4 | 6 elements 64-127 (scale groups of 16 as Q6_K's).
// Q2_K: d_x (d sum_g sc_g dot_g - dmin sum_g mn_g qsum_g); Q3_K: d_x d sum_g (sc_g - 32)
// (dot_g - 4 qsum_g), the high bit (bit s of each hmask byte for sub-block s) moved to bit 2.
template <bool Three>
float row_k23(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const __m512i m2 = _mm512_set1_epi8(0x03), bit2 = _mm512_set1_epi8(0x04);
    const __m512i idx[4] = {four_group_index(0), four_group_index(4), four_group_index(8), four_group_index(12)};
    const __m512i lo_shift = two_counts(0, 2), hi_shift = two_counts(4, 6);
    // high bits of sub-blocks 0 | 1, 2 | 3 (group 0) and 4 | 5, 6 | 7 (group 1) to bit 2
    const __m512i h_left0 = two_counts(2, 1), h_right[3] = {two_counts(0, 1), two_counts(2, 3), two_counts(4, 5)};
    __m512 acc = _mm512_setzero_ps();
    __m256 accm = _mm256_setzero_ps();
    const uint8_t *high = qs + cols / 4;
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + (Three ? 14 : 20) * sb;
        __m128i factors, mins = _mm_setzero_si128();
        if (Three) {
            uint32_t w[4];
            q3k_scales16(m, w);
            factors = _mm_set_epi32(static_cast<int>(w[3]), static_cast<int>(w[2]), static_cast<int>(w[1]),
                                    static_cast<int>(w[0]));
        } else {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(m)), m4 = _mm_set1_epi8(0x0f);
            factors = _mm_and_si128(b, m4);
            mins = _mm_and_si128(_mm_srli_epi16(b, 4), m4);
        }
        const __m256i s16 = _mm256_cvtepi8_epi16(factors);
        const __m512i f16 = _mm512_castsi256_si512(s16);
        const __m512i h = Three ? _mm512_broadcast_i64x4(load32(high + 32 * sb)) : _mm512_setzero_si512();
        const int8_t *xq = x.q + 256 * sb;
        __m512i isum = _mm512_setzero_si512();
        for (int g = 0; g < 2; ++g) {
            const __m512i p = _mm512_broadcast_i64x4(load32(qs + 64 * sb + 32 * g));
            __m512i lo = _mm512_and_si512(_mm512_srlv_epi16(p, lo_shift), m2);
            __m512i hi = _mm512_and_si512(_mm512_srlv_epi16(p, hi_shift), m2);
            if (Three) {
                const __m512i hl = g == 0 ? _mm512_sllv_epi16(h, h_left0) : _mm512_srlv_epi16(h, h_right[1]);
                const __m512i hh = _mm512_srlv_epi16(h, h_right[g == 0 ? 0 : 2]);
                lo = _mm512_or_si512(lo, _mm512_and_si512(hl, bit2));
                hi = _mm512_or_si512(hi, _mm512_and_si512(hh, bit2));
            }
            isum = add_dot_scaled(isum, lo, load64(xq + 128 * g), _mm512_permutexvar_epi16(idx[2 * g], f16));
            isum = add_dot_scaled(isum, hi, load64(xq + 128 * g + 64), _mm512_permutexvar_epi16(idx[2 * g + 1], f16));
        }
        const float dx = x.d[sb];
        if (Three) {
            const __m256i corr = _mm256_madd_epi16(s16, load32(x.bsums + 16 * sb));
            isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(_mm256_slli_epi32(corr, 2)));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(half_f(m + 12) * dx), acc);
        } else {
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(half_f(m + 16) * dx), acc);
            const __m256i msum = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load32(x.bsums + 16 * sb));
            accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(half_f(m + 18) * dx), accm);
        }
    }
    return _mm512_reduce_add_ps(acc) - hsum8(accm);
}

inline void dot_rows(const qpacked::PackedView &w, int64_t row0, int64_t row1, const qpacked::PackedActivations &x,
                     float *y) {
    for (int64_t r = row0; r < row1; ++r) {
        const uint8_t *qs = w.quants_of(r);
        const uint8_t *meta = w.meta_of(r);
        prefetch_ahead(w.row(r), w.row_stride);
        float v = 0.0f;
        switch (w.format) {
            case Format::Q4_0: v = row_32<Format::Q4_0>(qs, meta, w.cols, x.a32); break;
            case Format::Q8_0: v = row_32<Format::Q8_0>(qs, meta, w.cols, x.a32); break;
            case Format::IQ4_NL: v = row_32<Format::IQ4_NL>(qs, meta, w.cols, x.a32); break;
            case Format::IQ4_XS: v = row_iq4_xs(qs, meta, w.cols, x.a256); break;
            case Format::Q2_K: v = row_k23<false>(qs, meta, w.cols, x.a256); break;
            case Format::Q3_K: v = row_k23<true>(qs, meta, w.cols, x.a256); break;
            case Format::Q4_K: v = row_k45<false>(qs, meta, w.cols, x.a256); break;
            case Format::Q5_K: v = row_k45<true>(qs, meta, w.cols, x.a256); break;
            case Format::Q6_K: v = row_q6_k(qs, meta, w.cols, x.a256); break;
        }
        y[r - row0] = v;
    }
}

}  // namespace avx512_packed
