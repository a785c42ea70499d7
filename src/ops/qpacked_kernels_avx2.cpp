// AVX2 + FMA kernels of the packed quantized formats (ops/qpacked.h): integer dot products with
// maddubs (unsigned weights, signed activations, pairs summed into 16 bits), then madd, which sums
// the pairs into 32 bits and, for the K formats, multiplies them by the sub-block scales in the
// same instruction; one float step per 32-element block (Q4_0, Q8_0, IQ4_NL) or per 256 (K
// formats, IQ4_XS). IQ4 indexes become their levels by a byte shuffle of the 16-entry table.
// Compiled with the avx2 level's flags; rules in attention/kernel_table.h.
#include <cstdint>

#include "common/simd.h"
#include "numeric/iq4_levels.h"
#include "ops/ops_kernels.h"
#include "ops/weight_prefetch.h"

namespace lh::ops::avx2 {

#include "ops/ops_loops.inl"
#include "ops/qpacked_loops.inl"
#include "ops/k4_scales.inl"
#include "ops/qpacked_expand.inl"

namespace {

using qpacked::Format;

inline __m256i load32(const void *p) { return _mm256_loadu_si256(static_cast<const __m256i *>(p)); }

inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hsum4(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float half_f(const uint8_t *p) {
    uint16_t h;
    __builtin_memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// sum(u * q) per 4 bytes as int32, for u <= 127 (no pair of products saturates 16 bits).
inline __m256i dot_small(__m256i u, __m256i q) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, q), _mm256_set1_epi16(1));
}

// The same with each pair sum multiplied by the int16 factor of its lane.
inline __m256i dot_scaled(__m256i u, __m256i q, __m256i factors) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, q), factors);
}

// Element i of v in every lane.
inline __m256 spread(__m128 v, int i) { return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), _mm256_set1_epi32(i)); }

// ---- Q4_0 ------------------------------------------------------------------------------------

// The blocks of a last group of fewer than 128 elements, by the plain loop's formula.
float q4_0_tail(const uint8_t *group, int64_t n, const uint8_t *meta, const qblocks::QuantizedActivations &x,
                int64_t first_block) {
    float sum = 0.0f;
    for (int64_t b = 0; b < n / 32; ++b) {
        int32_t dot = 0;
        for (int64_t e = 32 * b; e < 32 * b + 32; ++e) dot += group_nibble(group, n, e) * x.q[32 * first_block + e];
        const float dw = half_f(meta + 2 * (first_block + b));
        sum += x.d[first_block + b] * (dw * static_cast<float>(dot)) - 8.0f * dw * x.d_sum[first_block + b];
    }
    return sum;
}

// The pair sums of one interleaved span of 512 elements (ops/qpacked.h; Q4_0's blocks, Q4_K's
// sub-blocks): int16 lanes 2i and 2i + 1 of `first` sum block i over the span's 8 loads, those of
// `second` block 8 + i. Each lane adds 8 maddubs pairs of at most 2 * 15 * 127, 30,480 in all, so
// the sums stay in 16 bits and one madd per half widens them (and, for Q4_K, applies the scales).
inline void span_pair_sums(const uint8_t *w, const int8_t *xq, __m256i &first, __m256i &second) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    first = _mm256_setzero_si256();
    second = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
        const __m256i a = load32(w + 64 * j), c = load32(w + 64 * j + 32);
        const int8_t *xl = xq + 128 * j, *xh = xl + 64;
        first = _mm256_add_epi16(first, _mm256_maddubs_epi16(_mm256_and_si256(a, m4), load32(xl)));
        second = _mm256_add_epi16(second, _mm256_maddubs_epi16(_mm256_and_si256(c, m4), load32(xl + 32)));
        first = _mm256_add_epi16(first, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), load32(xh)));
        second = _mm256_add_epi16(second,
                                  _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4), load32(xh + 32)));
    }
}

// The interleaved spans (ops/qpacked.h) against x.q_q4_0: int32 lane i of the first half sums
// block i, of the second block 8 + i; one float step per 8 blocks. Adds to acc0, acc1 and off.
void q4_0_spans(const uint8_t *qs, const uint8_t *meta, int64_t spanned, const qblocks::QuantizedActivations &x,
                __m256 &acc0, __m256 &acc1, __m256 &off) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t s = 0; s < spanned; s += qpacked::kQ4_0Span) {
        __m256i first16, second16;
        span_pair_sums(qs + s / 2, x.q_q4_0 + s, first16, second16);
        const __m256i first = _mm256_madd_epi16(first16, ones), second = _mm256_madd_epi16(second16, ones);
        const int64_t b = s / 32;
        const __m256 dw0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(meta + 2 * b)));
        const __m256 dw1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(meta + 2 * b + 16)));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(first), _mm256_mul_ps(dw0, _mm256_loadu_ps(x.d + b)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(second), _mm256_mul_ps(dw1, _mm256_loadu_ps(x.d + b + 8)), acc1);
        off = _mm256_fmadd_ps(dw0, _mm256_loadu_ps(x.d_sum + b), off);
        off = _mm256_fmadd_ps(dw1, _mm256_loadu_ps(x.d_sum + b + 8), off);
    }
}

float row_q4_0(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qblocks::QuantizedActivations &x) {
    if (x.q_q4_0 == nullptr) return loop_dot_row_32(Format::Q4_0, qs, meta, cols, x);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), off8 = _mm256_setzero_ps();
    __m128 off = _mm_setzero_ps();
    const int64_t spanned = qpacked::q4_0_spanned(cols), full = cols / 128 * 128;
    q4_0_spans(qs, meta, spanned, x, acc0, acc1, off8);
    off = _mm_add_ps(_mm256_castps256_ps128(off8), _mm256_extractf128_ps(off8, 1));
    for (int64_t g = spanned; g < full; g += 128) {
        const int64_t b = g / 32;
        const __m128 dw = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(meta + 2 * b)));
        const __m128 s = _mm_mul_ps(dw, _mm_loadu_ps(x.d + b));
        off = _mm_fmadd_ps(dw, _mm_loadu_ps(x.d_sum + b), off);
        // bytes 0-31: elements 0-31 (low nibbles) and 64-95 (high); bytes 32-63: 32-63 and 96-127
        const __m256i a = load32(qs + g / 2), c = load32(qs + g / 2 + 32);
        const int8_t *xq = x.q + g;
        const __m256i d0 = dot_small(_mm256_and_si256(a, m4), load32(xq));
        const __m256i d1 = dot_small(_mm256_and_si256(c, m4), load32(xq + 32));
        const __m256i d2 = dot_small(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), load32(xq + 64));
        const __m256i d3 = dot_small(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4), load32(xq + 96));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), spread(s, 0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d1), spread(s, 1), acc1);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d2), spread(s, 2), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d3), spread(s, 3), acc1);
    }
    float sum = hsum8(_mm256_add_ps(acc0, acc1)) - 8.0f * hsum4(off);
    if (full < cols) sum += q4_0_tail(qs + full / 2, cols - full, meta, x, full / 32);
    return sum;
}

// ---- Q8_0 ------------------------------------------------------------------------------------

// sum(w * q) per 4 bytes for signed w: the sign of w moved onto q so that maddubs sees |w| <= 128
// and |q| <= 127 (pairs within 16 bits).
inline __m256i dot_signed(__m256i w, __m256i q) { return dot_small(_mm256_abs_epi8(w), _mm256_sign_epi8(q, w)); }

// sum((u - 128) * q) per 4 bytes.
inline __m256i dot_q8(__m256i u, __m256i q) {
    return dot_signed(_mm256_xor_si256(u, _mm256_set1_epi8(static_cast<char>(0x80))), q);
}

float row_q8_0(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qblocks::QuantizedActivations &x) {
    const int64_t nb = cols / 32;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        const __m128 s = _mm_mul_ps(_mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(meta + 2 * b))),
                                    _mm_loadu_ps(x.d + b));
        const uint8_t *u = qs + 32 * b;
        const int8_t *xq = x.q + 32 * b;
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_q8(load32(u), load32(xq))), spread(s, 0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_q8(load32(u + 32), load32(xq + 32))), spread(s, 1), acc1);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_q8(load32(u + 64), load32(xq + 64))), spread(s, 2), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_q8(load32(u + 96), load32(xq + 96))), spread(s, 3), acc1);
    }
    for (; b < nb; ++b) {
        const float s = half_f(meta + 2 * b) * x.d[b];
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_q8(load32(qs + 32 * b), load32(x.q + 32 * b))),
                               _mm256_set1_ps(s), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

// ---- Q4_K, Q5_K ------------------------------------------------------------------------------

// The fifth bits of sub-block S (bit S of each byte of the block's 32 bytes) at bit 4 of each byte.
template <int S> inline __m256i fifth_bits(__m256i h) {
    const __m256i bit4 = _mm256_set1_epi8(0x10);
    if (S < 4) return _mm256_and_si256(_mm256_slli_epi16(h, 4 - S), bit4);
    if (S == 4) return _mm256_and_si256(h, bit4);
    return _mm256_and_si256(_mm256_srli_epi16(h, S - 4), bit4);
}

// Factor S of the 8 int16 scales in both 128-bit halves, in every int16 lane.
template <int S> inline __m256i factor(__m256i sc16) {
    return _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>((2 * S) | ((2 * S + 1) << 8))));
}

// Sub-blocks 4G .. 4G + 3 of a K block (group G of 128 elements): sum_s sc_s dot_s, in int32 lanes.
template <bool Five, int G>
inline __m256i k45_group(const uint8_t *nib, __m256i high, const int8_t *xq, __m256i sc16, __m256i isum) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i a = load32(nib), c = load32(nib + 32);
    __m256i u0 = _mm256_and_si256(a, m4), u1 = _mm256_and_si256(c, m4);
    __m256i u2 = _mm256_and_si256(_mm256_srli_epi16(a, 4), m4), u3 = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
    if (Five) {
        u0 = _mm256_or_si256(u0, fifth_bits<4 * G>(high));
        u1 = _mm256_or_si256(u1, fifth_bits<4 * G + 1>(high));
        u2 = _mm256_or_si256(u2, fifth_bits<4 * G + 2>(high));
        u3 = _mm256_or_si256(u3, fifth_bits<4 * G + 3>(high));
    }
    isum = _mm256_add_epi32(isum, dot_scaled(u0, load32(xq), factor<4 * G>(sc16)));
    isum = _mm256_add_epi32(isum, dot_scaled(u1, load32(xq + 32), factor<4 * G + 1>(sc16)));
    isum = _mm256_add_epi32(isum, dot_scaled(u2, load32(xq + 64), factor<4 * G + 2>(sc16)));
    return _mm256_add_epi32(isum, dot_scaled(u3, load32(xq + 96), factor<4 * G + 3>(sc16)));
}

// Element k (< 4) of v in every lane.
inline __m256 lane_k(__m128 v, int k) {
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), _mm256_set1_epi32(k));
}

// The mins' term of one block, added to accm: mn_s (bsum_2s + bsum_2s+1), each min twice against
// the sixteen sums of 16; scmn its scale bytes then min bytes, f_min = dmin · d_x in every lane.
inline __m256 k45_mins(__m128i scmn, const int16_t *bsums, __m256 f_min, __m256 accm) {
    const __m256i msum = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpackhi_epi8(scmn, scmn)), load32(bsums));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), f_min, accm);
}

// One block of 256: sc16 its scales (int16, both halves), scmn its scale bytes then min bytes, f_d = d · d_x and
// f_min = dmin · d_x in every lane.
template <bool Five>
inline void k45_block(const uint8_t *nib, const uint8_t *high, const int8_t *xq, const int16_t *bsums, __m256i sc16,
                      __m128i scmn, __m256 f_d, __m256 f_min, __m256 &accf, __m256 &accm) {
    const __m256i h = Five ? load32(high) : _mm256_setzero_si256();
    __m256i isum = k45_group<Five, 0>(nib, h, xq, sc16, _mm256_setzero_si256());
    isum = k45_group<Five, 1>(nib + 64, h, xq + 128, sc16, isum);
    accf = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), f_d, accf);
    accm = k45_mins(scmn, bsums, f_min, accm);
}

// Two Q4_K blocks in one interleaved span (ops/qpacked.h) against x.q_spans: span_pair_sums gives
// sub-block i of the first block in `first` (of the second in `second`); one madd per block
// applies the scales. dec: the two decoded headers, f: d, dmin, d, dmin times each block's d_x.
inline __m256 q4_k_span(const uint8_t *span, const int8_t *xq, __m256i dec, __m128 f, __m256 acc) {
    __m256i first, second;
    span_pair_sums(span, xq, first, second);
    // each block's 8 scale bytes (bytes 0-7 of its lane), twice each: the int16 factors of its lanes
    const __m256i twice = _mm256_unpacklo_epi8(dec, dec);
    const __m256i f0 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(twice));
    const __m256i f1 = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(twice, 1));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(first, f0)), lane_k(f, 0), acc);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(second, f1)), lane_k(f, 2), acc);
}

// Two blocks at a time: their headers decoded in one 256-bit pass and their d and dmin converted
// together, instead of each block alone through scalar registers (docs/BENCHMARKS.md, "Q4_K
// headers four at a time": the AVX2 level's share). A last single block reads only its own header.
// Q4_K's pairs in spans take q4_k_span, the other blocks k45_block.
template <bool Five>
float row_k45(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const int64_t spanned = Five ? 0 : qpacked::q4_0_spanned(cols);
    if (spanned > 0 && x.q_spans == nullptr) return loop_dot_row_k(Format::Q4_K, qs, meta, cols, x);
    __m256 accf = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    const uint8_t *high = qs + cols / 2;
    const int64_t blocks = cols / 256;
    for (int64_t sb = 0; sb < blocks; sb += 2) {
        const bool two = sb + 1 < blocks;
        const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i *>(meta + 16 * sb));
        const __m256i raw = two ? load32(meta + 16 * sb) : _mm256_inserti128_si256(_mm256_setzero_si256(), first, 0);
        const __m256i dec = k4_scales_of_2(raw);  // per lane: 8 scale bytes, then 8 min bytes
        // d | dmin of both headers -> d, dmin, d, dmin as floats, times each block's d_x
        const __m128i dd =
            _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(raw, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0)));
        const __m128 dx = two ? _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(x.d + sb)))
                              : _mm_load_ss(x.d + sb);
        const __m128 f = _mm_mul_ps(_mm_cvtph_ps(dd), _mm_unpacklo_ps(dx, dx));
        if (256 * (sb + 2) <= spanned) {
            accf = q4_k_span(qs + 128 * sb, x.q_spans + 256 * sb, dec, f, accf);
            accm = k45_mins(_mm256_castsi256_si128(dec), x.bsums + 16 * sb, lane_k(f, 1), accm);
            accm = k45_mins(_mm256_extracti128_si256(dec, 1), x.bsums + 16 * sb + 16, lane_k(f, 3), accm);
            continue;
        }
        const __m256i scales = _mm256_unpacklo_epi8(dec, _mm256_setzero_si256());
        k45_block<Five>(qs + 128 * sb, high + 32 * sb, x.q + 256 * sb, x.bsums + 16 * sb,
                        _mm256_permute2x128_si256(scales, scales, 0x00), _mm256_castsi256_si128(dec), lane_k(f, 0),
                        lane_k(f, 1), accf, accm);
        if (two) {
            k45_block<Five>(qs + 128 * (sb + 1), high + 32 * (sb + 1), x.q + 256 * (sb + 1), x.bsums + 16 * (sb + 1),
                            _mm256_permute2x128_si256(scales, scales, 0x11), _mm256_extracti128_si256(dec, 1),
                            lane_k(f, 2), lane_k(f, 3), accf, accm);
        }
    }
    return hsum8(accf) - hsum8(accm);
}

// ---- Q6_K ------------------------------------------------------------------------------------

// Scale factors (int16) for the 32 elements of scale groups I and I + 1: shuffled from the 16
// int8 scales, then widened.
template <int I> inline __m256i q6_factors(__m128i scales) {
    const __m128i pick = _mm_set_epi8(I + 1, I + 1, I + 1, I + 1, I + 1, I + 1, I + 1, I + 1, I, I, I, I, I, I, I, I);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, pick));
}

template <int G>
inline __m256i q6_group(const uint8_t *nib, const uint8_t *pairs, const int8_t *xq, __m128i scales, __m256i isum) {
    const __m256i m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(0x30);
    const __m256i a = load32(nib), c = load32(nib + 32), p = load32(pairs);
    // bytes j of the pairs: elements j, 32 + j, 64 + j, 96 + j in bits 0-1, 2-3, 4-5, 6-7
    const __m256i u0 = _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_and_si256(_mm256_slli_epi16(p, 4), m2));
    const __m256i u1 = _mm256_or_si256(_mm256_and_si256(c, m4), _mm256_and_si256(_mm256_slli_epi16(p, 2), m2));
    const __m256i u2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), _mm256_and_si256(p, m2));
    const __m256i u3 =
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4), _mm256_and_si256(_mm256_srli_epi16(p, 2), m2));
    isum = _mm256_add_epi32(isum, dot_scaled(u0, load32(xq), q6_factors<8 * G>(scales)));
    isum = _mm256_add_epi32(isum, dot_scaled(u1, load32(xq + 32), q6_factors<8 * G + 2>(scales)));
    isum = _mm256_add_epi32(isum, dot_scaled(u2, load32(xq + 64), q6_factors<8 * G + 4>(scales)));
    return _mm256_add_epi32(isum, dot_scaled(u3, load32(xq + 96), q6_factors<8 * G + 6>(scales)));
}

float row_q6_k(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    __m256 acc = _mm256_setzero_ps();
    const uint8_t *pairs = qs + cols / 2;
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 18 * sb;
        const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i *>(m));
        const int8_t *xq = x.q + 256 * sb;
        __m256i isum = q6_group<0>(qs + 128 * sb, pairs + 64 * sb, xq, scales, _mm256_setzero_si256());
        isum = q6_group<1>(qs + 128 * sb + 64, pairs + 64 * sb + 32, xq + 128, scales, isum);
        // the offset: 32 sum_g sc_g qsum_g
        const __m256i corr = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), load32(x.bsums + 16 * sb));
        isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 5));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(half_f(m + 16) * x.d[sb]), acc);
    }
    return hsum8(acc);
}

// ---- IQ4_NL, IQ4_XS ----------------------------------------------------------------------------

// The 16 signed levels in both 128-bit halves: a byte shuffle by the 4-bit indexes looks them up.
inline __m256i iq4_table() {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4Levels)));
}

// The levels of a group of 128 indexes (64 nibble bytes): elements 0-31, 32-63, 64-95, 96-127.
inline void iq4_group(const uint8_t *nib, __m256i table, __m256i w[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i a = load32(nib), c = load32(nib + 32);
    w[0] = _mm256_shuffle_epi8(table, _mm256_and_si256(a, m4));
    w[1] = _mm256_shuffle_epi8(table, _mm256_and_si256(c, m4));
    w[2] = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(a, 4), m4));
    w[3] = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(c, 4), m4));
}

// IQ4_NL: as Q8_0 with signed levels (no offset term); a last group of fewer than 128 elements by
// the plain loop's formula.
float row_iq4_nl(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qblocks::QuantizedActivations &x) {
    const __m256i table = iq4_table();
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int64_t full = cols / 128 * 128;
    for (int64_t g = 0; g < full; g += 128) {
        const int64_t b = g / 32;
        const __m128 s = _mm_mul_ps(_mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(meta + 2 * b))),
                                    _mm_loadu_ps(x.d + b));
        __m256i w[4];
        iq4_group(qs + g / 2, table, w);
        const int8_t *xq = x.q + g;
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_signed(w[0], load32(xq))), spread(s, 0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_signed(w[1], load32(xq + 32))), spread(s, 1), acc1);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_signed(w[2], load32(xq + 64))), spread(s, 2), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_signed(w[3], load32(xq + 96))), spread(s, 3), acc1);
    }
    float sum = hsum8(_mm256_add_ps(acc0, acc1));
    if (full < cols) {
        const int64_t n = cols - full;
        for (int64_t b = 0; b < n / 32; ++b) {
            int32_t dot = 0;
            for (int64_t e = 32 * b; e < 32 * b + 32; ++e)
                dot += iq4_u(group_nibble(qs + full / 2, n, e)) * x.q[full + e];
            const int64_t blk = full / 32 + b;
            const float dw = half_f(meta + 2 * blk);
            sum += x.d[blk] * (dw * static_cast<float>(dot)) - 128.0f * dw * x.d_sum[blk];
        }
    }
    return sum;
}

// Signed levels w times q, pair sums multiplied by the int16 factor of their lane (|level| <= 127,
// |q| <= 127, |ls - 32| <= 32: within int16 pairs and int32 sums).
inline __m256i dot_signed_scaled(__m256i w, __m256i q, __m256i factors) {
    return dot_scaled(_mm256_abs_epi8(w), _mm256_sign_epi8(q, w), factors);
}

// Sub-blocks 4G .. 4G + 3 of an IQ4_XS block: sum_s (ls_s - 32) dot_s, in int32 lanes.
template <int G>
inline __m256i iq4_xs_group(const uint8_t *nib, const int8_t *xq, __m256i table, __m256i sc16, __m256i isum) {
    __m256i w[4];
    iq4_group(nib, table, w);
    isum = _mm256_add_epi32(isum, dot_signed_scaled(w[0], load32(xq), factor<4 * G>(sc16)));
    isum = _mm256_add_epi32(isum, dot_signed_scaled(w[1], load32(xq + 32), factor<4 * G + 1>(sc16)));
    isum = _mm256_add_epi32(isum, dot_signed_scaled(w[2], load32(xq + 64), factor<4 * G + 2>(sc16)));
    return _mm256_add_epi32(isum, dot_signed_scaled(w[3], load32(xq + 96), factor<4 * G + 3>(sc16)));
}

// IQ4_XS: per block of 256, d_x d sum_s (ls_s - 32) dot_s.
float row_iq4_xs(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const __m256i table = iq4_table();
    __m256 acc = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 8 * sb;
        const int8_t *xq = x.q + 256 * sb;
        const __m128i sc8 = _mm_cvtsi64_si128(static_cast<long long>(iq4_xs_scales8(m)));
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(sc8));
        __m256i isum = iq4_xs_group<0>(qs + 128 * sb, xq, table, sc16, _mm256_setzero_si256());
        isum = iq4_xs_group<1>(qs + 128 * sb + 64, xq + 128, table, sc16, isum);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(half_f(m) * x.d[sb]), acc);
    }
    return hsum8(acc);
}

// ---- Q2_K, Q3_K ------------------------------------------------------------------------------

// The high bits of sub-block S (bit S of each byte of the block's 32 hmask bytes) at bit 2.
template <int S> inline __m256i third_bits(__m256i h) {
    const __m256i bit2 = _mm256_set1_epi8(0x04);
    if (S < 2) return _mm256_and_si256(_mm256_slli_epi16(h, 2 - S), bit2);
    if (S == 2) return _mm256_and_si256(h, bit2);
    return _mm256_and_si256(_mm256_srli_epi16(h, S - 2), bit2);
}

// Group G of 128 elements of a Q2_K / Q3_K block: sum_g f_g dot_g over its 8 groups of 16, f_g the
// int8 factors in `factors` (scale groups 8G .. 8G + 7), in int32 lanes.
template <bool Three, int G>
inline __m256i k23_group(const uint8_t *pairs, __m256i high, const int8_t *xq, __m128i factors, __m256i isum) {
    const __m256i m2 = _mm256_set1_epi8(0x03);
    const __m256i p = load32(pairs);
    __m256i u0 = _mm256_and_si256(p, m2), u1 = _mm256_and_si256(_mm256_srli_epi16(p, 2), m2);
    __m256i u2 = _mm256_and_si256(_mm256_srli_epi16(p, 4), m2), u3 = _mm256_and_si256(_mm256_srli_epi16(p, 6), m2);
    if (Three) {
        u0 = _mm256_or_si256(u0, third_bits<4 * G>(high));
        u1 = _mm256_or_si256(u1, third_bits<4 * G + 1>(high));
        u2 = _mm256_or_si256(u2, third_bits<4 * G + 2>(high));
        u3 = _mm256_or_si256(u3, third_bits<4 * G + 3>(high));
    }
    isum = _mm256_add_epi32(isum, dot_scaled(u0, load32(xq), q6_factors<8 * G>(factors)));
    isum = _mm256_add_epi32(isum, dot_scaled(u1, load32(xq + 32), q6_factors<8 * G + 2>(factors)));
    isum = _mm256_add_epi32(isum, dot_scaled(u2, load32(xq + 64), q6_factors<8 * G + 4>(factors)));
    return _mm256_add_epi32(isum, dot_scaled(u3, load32(xq + 96), q6_factors<8 * G + 6>(factors)));
}

// Q2_K: per block of 256, d_x (d sum_g sc_g dot_g - dmin sum_g mn_g qsum_g), g per 16 elements.
float row_q2_k(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    const __m128i m4 = _mm_set1_epi8(0x0f);
    __m256 accf = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 20 * sb;
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(m));
        const __m128i sc = _mm_and_si128(b, m4), mn = _mm_and_si128(_mm_srli_epi16(b, 4), m4);
        const int8_t *xq = x.q + 256 * sb;
        const __m256i none = _mm256_setzero_si256();
        __m256i isum = k23_group<false, 0>(qs + 64 * sb, none, xq, sc, none);
        isum = k23_group<false, 1>(qs + 64 * sb + 32, none, xq + 128, sc, isum);
        const float dx = x.d[sb];
        accf = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(half_f(m + 16) * dx), accf);
        const __m256i msum = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mn), load32(x.bsums + 16 * sb));
        accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(half_f(m + 18) * dx), accm);
    }
    return hsum8(accf) - hsum8(accm);
}

// Q3_K: per block of 256, d_x d sum_g (sc_g - 32) (dot_g - 4 qsum_g).
float row_q3_k(const uint8_t *qs, const uint8_t *meta, int64_t cols, const qpacked::KActivations &x) {
    __m256 acc = _mm256_setzero_ps();
    const uint8_t *high = qs + cols / 4;
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *m = meta + 14 * sb;
        uint32_t w[4];
        q3k_scales16(m, w);
        const __m128i scales = _mm_set_epi32(static_cast<int>(w[3]), static_cast<int>(w[2]), static_cast<int>(w[1]),
                                             static_cast<int>(w[0]));
        const __m256i h = load32(high + 32 * sb);
        const int8_t *xq = x.q + 256 * sb;
        __m256i isum = k23_group<true, 0>(qs + 64 * sb, h, xq, scales, _mm256_setzero_si256());
        isum = k23_group<true, 1>(qs + 64 * sb + 32, h, xq + 128, scales, isum);
        const __m256i corr = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), load32(x.bsums + 16 * sb));
        isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 2));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(half_f(m + 12) * x.d[sb]), acc);
    }
    return hsum8(acc);
}

void dot_rows(const qpacked::PackedView &w, int64_t row0, int64_t row1, const qpacked::PackedActivations &x,
              float *y) {
    for (int64_t r = row0; r < row1; ++r) {
        const uint8_t *qs = w.quants_of(r);
        const uint8_t *meta = w.meta_of(r);
        prefetch_ahead(w.row(r), w.row_stride);
        float v = 0.0f;
        switch (w.format) {
            case Format::Q4_0: v = row_q4_0(qs, meta, w.cols, x.a32); break;
            case Format::Q8_0: v = row_q8_0(qs, meta, w.cols, x.a32); break;
            case Format::Q4_K: v = row_k45<false>(qs, meta, w.cols, x.a256); break;
            case Format::Q5_K: v = row_k45<true>(qs, meta, w.cols, x.a256); break;
            case Format::Q6_K: v = row_q6_k(qs, meta, w.cols, x.a256); break;
            case Format::IQ4_NL: v = row_iq4_nl(qs, meta, w.cols, x.a32); break;
            case Format::IQ4_XS: v = row_iq4_xs(qs, meta, w.cols, x.a256); break;
            case Format::Q2_K: v = row_q2_k(qs, meta, w.cols, x.a256); break;
            case Format::Q3_K: v = row_q3_k(qs, meta, w.cols, x.a256); break;
        }
        y[r - row0] = v;
    }
}

}  // namespace

void fill_packed(OpsKernels &t) {
    t.packed_dot_rows = dot_rows;
    t.packed_rows_to_bf16 = packed_expand::expand_rows<uint16_t>;
    t.packed_rows_to_f32 = packed_expand::expand_rows<float>;
    t.quantize_k_activations = loop_quantize_k_activations;
}

}  // namespace lh::ops::avx2
