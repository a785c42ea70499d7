// Tiled score, value and online-softmax kernels (see kernels.h).
#include <cmath>
#include <cstdlib>
#include <limits>

#include "attention/kernels.h"

namespace lh::attn {

namespace {

#if defined(__AVX512F__)
// Scores of GB queries against the tiles covering [a, b); S accumulators per query keep the
// FMA pipeline busy when GB is small.
template <int GB, class T>
void tile_scores_gb(const T *kt, int32_t d, int64_t a, int64_t b, const float *q, float *s, int64_t stride) {
    constexpr int S = GB >= 4 ? 1 : 4 / GB;
    for (int64_t base = a / kTile * kTile; base < b; base += kTile) {
        const T *tile = kt + base * row_elems<T>(d);
        __m512 acc[GB][S];
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) acc[g][u] = _mm512_setzero_ps();
        int32_t x = 0;
        for (; x + S <= d; x += S)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) {
                const __m512 k = load16(tile + static_cast<int64_t>(x + u) * kTile);
                #pragma GCC unroll 16
                for (int g = 0; g < GB; ++g)
                    acc[g][u] = _mm512_fmadd_ps(_mm512_set1_ps(q[g * d + x + u]), k, acc[g][u]);
            }
        for (; x < d; ++x) {
            const __m512 k = load16(tile + static_cast<int64_t>(x) * kTile);
            #pragma GCC unroll 16
            for (int g = 0; g < GB; ++g) acc[g][0] = _mm512_fmadd_ps(_mm512_set1_ps(q[g * d + x]), k, acc[g][0]);
        }
        const int lo = static_cast<int>((a > base ? a : base) - base);
        const int hi = static_cast<int>((b < base + kTile ? b : base + kTile) - base);
        const __mmask16 mask = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
        __m512 tile_scale = _mm512_set1_ps(1.0f);
        if constexpr (std::is_same<T, int8_t>::value)
            tile_scale = _mm512_loadu_ps(reinterpret_cast<const float *>(tile + static_cast<int64_t>(kTile) * d));
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g) {
            __m512 r = acc[g][0];
            #pragma GCC unroll 16
            for (int u = 1; u < S; ++u) r = _mm512_add_ps(r, acc[g][u]);
            if constexpr (std::is_same<T, int8_t>::value) r = _mm512_mul_ps(r, tile_scale);
            _mm512_mask_storeu_ps(s + g * stride + (base - a), mask, r);
        }
    }
}

#if defined(__AVX512BF16__)
constexpr int32_t kMaxBf16Dim = 256;  // query pairs kept on the stack

// LONGHEADS_BF16_DOT=0 keeps bf16 keys on the f32 FMA path (side-by-side measurements, checks).
bool bf16_dot_disabled() {
    static const bool off = [] {
        const char *e = std::getenv("LONGHEADS_BF16_DOT");
        return e != nullptr && e[0] == '0';
    }();
    return off;
}

// bf16 keys with AVX512-BF16: dimensions x and x+1 of a tile's 16 tokens are two adjacent rows of
// 16, so one 64-byte load and one permute put each token's pair side by side, and one vdpbf16ps
// adds both products for 16 tokens (an f32 FMA path converts and multiplies one dimension at a
// time). The queries are rounded to bf16 for this, as the keys already are; sums stay f32.
template <int GB>
void tile_scores_bf16(const uint16_t *kt, int32_t d, int64_t a, int64_t b, const float *q, float *s, int64_t stride) {
    constexpr int S = GB >= 4 ? 1 : 4 / GB;
    const int32_t pairs = d / 2;
    alignas(64) uint32_t qp[GB][kMaxBf16Dim / 2];
    #pragma GCC unroll 16
    for (int g = 0; g < GB; ++g)
        for (int32_t x = 0; x < d; x += 16)
            _mm256_store_si256(reinterpret_cast<__m256i *>(&qp[g][x / 2]),
                               (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(q + g * d + x)));
    // Lane 2t takes token t of the first row, lane 2t+1 token t of the second.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int64_t base = a / kTile * kTile; base < b; base += kTile) {
        const uint16_t *tile = kt + base * d;
        __m512 acc[GB][S];
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) acc[g][u] = _mm512_setzero_ps();
        int32_t p = 0;
        for (; p + S <= pairs; p += S)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) {
                const __m512i k = _mm512_permutexvar_epi16(
                    interleave, _mm512_loadu_si512(tile + static_cast<int64_t>(2 * (p + u)) * kTile));
                #pragma GCC unroll 16
                for (int g = 0; g < GB; ++g)
                    acc[g][u] = _mm512_dpbf16_ps(acc[g][u], (__m512bh)k,
                                                 (__m512bh)_mm512_set1_epi32(static_cast<int>(qp[g][p + u])));
            }
        for (; p < pairs; ++p) {
            const __m512i k = _mm512_permutexvar_epi16(interleave, _mm512_loadu_si512(tile + static_cast<int64_t>(2 * p) * kTile));
            #pragma GCC unroll 16
            for (int g = 0; g < GB; ++g)
                acc[g][0] = _mm512_dpbf16_ps(acc[g][0], (__m512bh)k,
                                             (__m512bh)_mm512_set1_epi32(static_cast<int>(qp[g][p])));
        }
        const int lo = static_cast<int>((a > base ? a : base) - base);
        const int hi = static_cast<int>((b < base + kTile ? b : base + kTile) - base);
        const __mmask16 mask = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g) {
            __m512 r = acc[g][0];
            #pragma GCC unroll 16
            for (int u = 1; u < S; ++u) r = _mm512_add_ps(r, acc[g][u]);
            _mm512_mask_storeu_ps(s + g * stride + (base - a), mask, r);
        }
    }
}
#endif

// v points at column c0 of the value rows (rows of row_elems<T>(d) elements).
template <int GB, int CB, class T>
void values_gc(const T *v, int32_t d, int32_t c0, int64_t a, int32_t n, const float *p, int64_t stride, float *o) {
    const int64_t vstride = row_elems<T>(d);
    __m512 acc[GB][CB];
    #pragma GCC unroll 16
    for (int g = 0; g < GB; ++g)
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) acc[g][c] = _mm512_loadu_ps(o + g * d + c * 16);
    for (int32_t j = 0; j < n; ++j) {
        const T *row = v + (a + j) * vstride;
        const float vs = value_scale(row - c0, d);
        __m512 vv[CB];
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) vv[c] = load16(row + c * 16);
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g) {
            const __m512 pj = _mm512_set1_ps(p[g * stride + j] * vs);
            #pragma GCC unroll 16
            for (int c = 0; c < CB; ++c) acc[g][c] = _mm512_fmadd_ps(pj, vv[c], acc[g][c]);
        }
    }
    #pragma GCC unroll 16
    for (int g = 0; g < GB; ++g)
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) _mm512_storeu_ps(o + g * d + c * 16, acc[g][c]);
}

template <class T>
using ValuesFn = void (*)(const T *, int32_t, int32_t, int64_t, int32_t, const float *, int64_t, float *);

template <class T> ValuesFn<T> values_fn(int gb, int cb) {
    static const ValuesFn<T> table[4][4] = {
        {values_gc<1, 1, T>, values_gc<1, 2, T>, values_gc<1, 3, T>, values_gc<1, 4, T>},
        {values_gc<2, 1, T>, values_gc<2, 2, T>, values_gc<2, 3, T>, values_gc<2, 4, T>},
        {values_gc<3, 1, T>, values_gc<3, 2, T>, values_gc<3, 3, T>, values_gc<3, 4, T>},
        {values_gc<4, 1, T>, values_gc<4, 2, T>, values_gc<4, 3, T>, values_gc<4, 4, T>}};
    return table[gb - 1][cb - 1];
}
#endif

}  // namespace

#if defined(__AVX512F__)
namespace {

// A kernel for a fixed number of query rows (1..8), and the loop that covers G rows with them.
template <class T>
using ScoresFn = void (*)(const T *, int32_t, int64_t, int64_t, const float *, float *, int64_t);

template <class T>
void scores_by_8_rows(const ScoresFn<T> (&kernels)[8], const T *key_tiles, int32_t d, int64_t a, int64_t b,
                      const float *q, int32_t G, float *s, int64_t stride) {
    for (int32_t g0 = 0; g0 < G; g0 += 8)
        kernels[(G - g0 < 8 ? G - g0 : 8) - 1](key_tiles, d, a, b, q + static_cast<int64_t>(g0) * d, s + g0 * stride,
                                                stride);
}

}  // namespace
#endif

template <class T>
void tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                 int64_t stride) {
#if defined(__AVX512BF16__)
    if constexpr (std::is_same<T, uint16_t>::value) {
        if (d % 16 == 0 && d <= kMaxBf16Dim && !bf16_dot_disabled()) {
            static const ScoresFn<uint16_t> bf16[8] = {tile_scores_bf16<1>, tile_scores_bf16<2>, tile_scores_bf16<3>,
                                                       tile_scores_bf16<4>, tile_scores_bf16<5>, tile_scores_bf16<6>,
                                                       tile_scores_bf16<7>, tile_scores_bf16<8>};
            scores_by_8_rows(bf16, key_tiles, d, a, b, q, G, s, stride);
            return;
        }
    }
#endif
#if defined(__AVX512F__)
    static const ScoresFn<T> fma[8] = {tile_scores_gb<1, T>, tile_scores_gb<2, T>, tile_scores_gb<3, T>,
                                       tile_scores_gb<4, T>, tile_scores_gb<5, T>, tile_scores_gb<6, T>,
                                       tile_scores_gb<7, T>, tile_scores_gb<8, T>};
    scores_by_8_rows(fma, key_tiles, d, a, b, q, G, s, stride);
#else
    for (int32_t g = 0; g < G; ++g)
        for (int64_t j = a; j < b; ++j) {
            float acc = 0.0f;
            for (int32_t x = 0; x < d; ++x) acc += q[g * d + x] * key_value(key_tiles, j, x, d);
            s[g * stride + (j - a)] = acc;
        }
#endif
}

template <class T>
void accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride, int32_t G,
                       float *o) {
#if defined(__AVX512F__)
    if ((d & 15) == 0) {
        const int32_t chunks = d / 16;
        for (int32_t g0 = 0; g0 < G; g0 += 4)
            for (int32_t c0 = 0; c0 < chunks; c0 += 4) {
                const int gb = G - g0 < 4 ? G - g0 : 4, cb = chunks - c0 < 4 ? chunks - c0 : 4;
                values_fn<T>(gb, cb)(values + c0 * 16, d, c0 * 16, a, n, p + g0 * stride, stride,
                                     o + static_cast<int64_t>(g0) * d + c0 * 16);
            }
        return;
    }
#endif
    for (int32_t j = 0; j < n; ++j) {
        const T *row = value_row(values, a + j, d);
        const float vs = value_scale(row, d);
        for (int32_t g = 0; g < G; ++g) {
            const float pj = p[g * stride + j] * vs;
            float *og = o + static_cast<int64_t>(g) * d;
            for (int32_t x = 0; x < d; ++x) og[x] += pj * to_f32(row[x]);
        }
    }
}

float max_of(const float *p, int32_t n) {
#if defined(__AVX512F__)
    __m512 m = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(p + i));
    if (i < n) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(m, static_cast<__mmask16>((1u << (n - i)) - 1u), p + i));
    return _mm512_reduce_max_ps(m);
#else
    float m = -std::numeric_limits<float>::infinity();
    for (int32_t i = 0; i < n; ++i) m = p[i] > m ? p[i] : m;
    return m;
#endif
}

float exp_sum(float *p, int32_t n, float mx) {
#if defined(__AVX512F__)
    const __m512 m = _mm512_set1_ps(mx);
    __m512 sum = _mm512_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(p + i), m));
        _mm512_storeu_ps(p + i, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (i < n) {
        const __mmask16 k = static_cast<__mmask16>((1u << (n - i)) - 1u);
        const __m512 e = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + i), m)));
        _mm512_mask_storeu_ps(p + i, k, e);
        sum = _mm512_add_ps(sum, e);
    }
    return _mm512_reduce_add_ps(sum);
#else
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) sum += (p[i] = std::exp(p[i] - mx));
    return sum;
#endif
}

void attend_begin(int32_t d, int32_t G, const AttendBuffers &buf) {
    for (int32_t g = 0; g < G; ++g) {
        buf.m[g] = -std::numeric_limits<float>::infinity();
        buf.l[g] = 0.0f;
    }
    for (int64_t i = 0; i < static_cast<int64_t>(G) * d; ++i) buf.o[i] = 0.0f;
}

template <class T>
void attend_segment(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment &sg,
                    const AttendBuffers &buf, int32_t row) {
    float *S = buf.scores + kTile;
    float *m = buf.m + row, *l = buf.l + row, *o = buf.o + static_cast<int64_t>(row) * d;
    for (int32_t off = 0; off < sg.count; off += kBlock) {
        const int64_t a = static_cast<int64_t>(sg.start) + off;
        const int32_t n = sg.count - off < kBlock ? sg.count - off : kBlock;
        tile_scores(key_tiles, d, a, a + n, sg.q, G, S, kBlock);
        for (int32_t g = 0; g < G; ++g) {
            float *srow = S + static_cast<int64_t>(g) * kBlock;
            const float bm = max_of(srow, n);
            if (bm > m[g]) {
                if (l[g] != 0.0f) {  // rescale what was accumulated under the old maximum
                    const float corr = std::exp(m[g] - bm);
                    l[g] *= corr;
                    float *og = o + static_cast<int64_t>(g) * d;
                    for (int32_t x = 0; x < d; ++x) og[x] *= corr;
                }
                m[g] = bm;
            }
            l[g] += exp_sum(srow, n, m[g]);
        }
        accumulate_values(values, d, a, n, S, kBlock, G, o);
    }
}

void attend_end(int32_t d, int32_t G, const AttendBuffers &buf, float *out, int64_t out_stride) {
    for (int32_t g = 0; g < G; ++g) {
        const float inv = 1.0f / buf.l[g];
        const float *og = buf.o + static_cast<int64_t>(g) * d;
        float *dst = out + g * out_stride;
        for (int32_t x = 0; x < d; ++x) dst[x] = og[x] * inv;
    }
}

template <class T>
void attend(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment *segs, int32_t n_seg,
            const AttendBuffers &buf, float *out) {
    attend_begin(d, G, buf);
    for (int32_t si = 0; si < n_seg; ++si) attend_segment(key_tiles, values, d, G, segs[si], buf, 0);
    attend_end(d, G, buf, out, d);
}

#define LH_INSTANTIATE(T)                                                                                     \
    template void tile_scores<T>(const T *, int32_t, int64_t, int64_t, const float *, int32_t, float *, int64_t); \
    template void accumulate_values<T>(const T *, int32_t, int64_t, int32_t, const float *, int64_t, int32_t,     \
                                       float *);                                                              \
    template void attend<T>(const T *, const T *, int32_t, int32_t, const Segment *, int32_t,                  \
                            const AttendBuffers &, float *);                                                  \
    template void attend_segment<T>(const T *, const T *, int32_t, int32_t, const Segment &,                   \
                                    const AttendBuffers &, int32_t);
LH_INSTANTIATE(float)
LH_INSTANTIATE(uint16_t)
LH_INSTANTIATE(int8_t)
#undef LH_INSTANTIATE

}  // namespace lh::attn
