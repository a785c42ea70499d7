// AVX2 + FMA attention kernels: a key tile's 16 tokens are two 8-lane vectors per dimension.
// Compiled with the avx2 level's flags; rules in kernel_table.h.
#include <cstdint>
#include <type_traits>

#include "attention/kernel_table.h"
#include "common/simd.h"

namespace lh::attn::avx2 {

#include "attention/tile_layout.inl"
#include "attention/kernels_scalar.inl"

namespace {

inline __m256 load8(const float *p) { return _mm256_loadu_ps(p); }
inline __m256 load8(const uint16_t *p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline __m256 load8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p))));
}

// e^x, ~1 ulp (Cephes expf polynomial, as the avx512 level); x <= 88.
inline __m256 exp8(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    // 2^n for n in [-126, 127] built in the exponent field (x >= -87 keeps n >= -126).
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// Lanes i of an 8-lane vector covering indices first + i with lo <= first + i < hi.
inline __m256i lane_mask(int32_t first, int32_t lo, int32_t hi) {
    const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(first), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
}

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Scores of GB queries against the tiles covering [a, b): per query two accumulators (tokens
// 0-7, 8-15) times S to keep eight FMAs in flight.
template <int GB, class T>
void tile_scores_gb(const T *kt, int32_t d, int64_t a, int64_t b, const float *q, float *s, int64_t stride) {
    constexpr int S = GB == 1 ? 4 : GB == 2 ? 2 : 1;
    for (int64_t base = a / kTile * kTile; base < b; base += kTile) {
        const T *tile = kt + base * row_elems<T>(d);
        __m256 lo[GB][S], hi[GB][S];
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) lo[g][u] = hi[g][u] = _mm256_setzero_ps();
        int32_t x = 0;
        for (; x + S <= d; x += S)
            #pragma GCC unroll 16
            for (int u = 0; u < S; ++u) {
                const T *row = tile + static_cast<int64_t>(x + u) * kTile;
                const __m256 k0 = load8(row), k1 = load8(row + 8);
                #pragma GCC unroll 16
                for (int g = 0; g < GB; ++g) {
                    const __m256 qv = _mm256_set1_ps(q[g * d + x + u]);
                    lo[g][u] = _mm256_fmadd_ps(qv, k0, lo[g][u]);
                    hi[g][u] = _mm256_fmadd_ps(qv, k1, hi[g][u]);
                }
            }
        for (; x < d; ++x) {
            const T *row = tile + static_cast<int64_t>(x) * kTile;
            const __m256 k0 = load8(row), k1 = load8(row + 8);
            #pragma GCC unroll 16
            for (int g = 0; g < GB; ++g) {
                const __m256 qv = _mm256_set1_ps(q[g * d + x]);
                lo[g][0] = _mm256_fmadd_ps(qv, k0, lo[g][0]);
                hi[g][0] = _mm256_fmadd_ps(qv, k1, hi[g][0]);
            }
        }
        const int32_t t_lo = tile_lo(base, a), t_hi = tile_hi(base, b);
        const __m256i m0 = lane_mask(0, t_lo, t_hi), m1 = lane_mask(8, t_lo, t_hi);
        __m256 scale0 = _mm256_set1_ps(1.0f), scale1 = scale0;
        if constexpr (std::is_same<T, int8_t>::value) {
            scale0 = _mm256_loadu_ps(tile_scales(tile, d));
            scale1 = _mm256_loadu_ps(tile_scales(tile, d) + 8);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g) {
            __m256 r0 = lo[g][0], r1 = hi[g][0];
            #pragma GCC unroll 16
            for (int u = 1; u < S; ++u) {
                r0 = _mm256_add_ps(r0, lo[g][u]);
                r1 = _mm256_add_ps(r1, hi[g][u]);
            }
            if constexpr (std::is_same<T, int8_t>::value) {
                r0 = _mm256_mul_ps(r0, scale0);
                r1 = _mm256_mul_ps(r1, scale1);
            }
            float *dst = s + g * stride + (base - a);
            _mm256_maskstore_ps(dst, m0, r0);
            _mm256_maskstore_ps(dst + 8, m1, r1);
        }
    }
}

template <class T>
using ScoresFn = void (*)(const T *, int32_t, int64_t, int64_t, const float *, float *, int64_t);

template <class T>
void tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                 int64_t stride) {
    static const ScoresFn<T> by_rows[4] = {tile_scores_gb<1, T>, tile_scores_gb<2, T>, tile_scores_gb<3, T>,
                                           tile_scores_gb<4, T>};
    for (int32_t g0 = 0; g0 < G; g0 += 4)
        by_rows[(G - g0 < 4 ? G - g0 : 4) - 1](key_tiles, d, a, b, q + static_cast<int64_t>(g0) * d, s + g0 * stride,
                                               stride);
}

// GB query rows x CB vectors of 8 columns starting at column c0 (v points at that column).
template <int GB, int CB, class T>
void values_gc(const T *v, int32_t d, int32_t c0, int64_t a, int32_t n, const float *p, int64_t stride, float *o) {
    const int64_t vstride = row_elems<T>(d);
    __m256 acc[GB][CB];
    #pragma GCC unroll 16
    for (int g = 0; g < GB; ++g)
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) acc[g][c] = _mm256_loadu_ps(o + g * d + c * 8);
    for (int32_t j = 0; j < n; ++j) {
        const T *row = v + (a + j) * vstride;
        const float vs = value_scale(row - c0, d);
        __m256 vv[CB];
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) vv[c] = load8(row + c * 8);
        #pragma GCC unroll 16
        for (int g = 0; g < GB; ++g) {
            const __m256 pj = _mm256_set1_ps(p[g * stride + j] * vs);
            #pragma GCC unroll 16
            for (int c = 0; c < CB; ++c) acc[g][c] = _mm256_fmadd_ps(pj, vv[c], acc[g][c]);
        }
    }
    #pragma GCC unroll 16
    for (int g = 0; g < GB; ++g)
        #pragma GCC unroll 16
        for (int c = 0; c < CB; ++c) _mm256_storeu_ps(o + g * d + c * 8, acc[g][c]);
}

template <class T>
using ValuesFn = void (*)(const T *, int32_t, int32_t, int64_t, int32_t, const float *, int64_t, float *);

template <class T>
void accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride, int32_t G,
                       float *o) {
    if ((d & 7) != 0) {
        scalar_accumulate_values(values, d, a, n, p, stride, G, o);
        return;
    }
    static const ValuesFn<T> table[2][4] = {
        {values_gc<1, 1, T>, values_gc<1, 2, T>, values_gc<1, 3, T>, values_gc<1, 4, T>},
        {values_gc<2, 1, T>, values_gc<2, 2, T>, values_gc<2, 3, T>, values_gc<2, 4, T>}};
    const int32_t chunks = d / 8;
    for (int32_t g0 = 0; g0 < G; g0 += 2)
        for (int32_t c0 = 0; c0 < chunks; c0 += 4) {
            const int gb = G - g0 < 2 ? G - g0 : 2, cb = chunks - c0 < 4 ? chunks - c0 : 4;
            table[gb - 1][cb - 1](values + c0 * 8, d, c0 * 8, a, n, p + g0 * stride, stride,
                                  o + static_cast<int64_t>(g0) * d + c0 * 8);
        }
}

template <class T> void axpy(float a, const T *v, float *out, int32_t d) {
    if ((d & 7) != 0) {
        scalar_axpy(a, v, out, d);
        return;
    }
    const __m256 av = _mm256_set1_ps(a);
    for (int32_t i = 0; i < d; i += 8)
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(av, load8(v + i), _mm256_loadu_ps(out + i)));
}

float max_of(const float *p, int32_t n) {
    __m256 m = _mm256_set1_ps(-__builtin_inff());
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(p + i));
    float r = hmax(m);
    for (; i < n; ++i) r = p[i] > r ? p[i] : r;
    return r;
}

float exp_sum(float *p, int32_t n, float mx) {
    const __m256 m = _mm256_set1_ps(mx);
    __m256 sum = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p + i), m));
        _mm256_storeu_ps(p + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (i < n) {
        const __m256i k = lane_mask(0, 0, n - i);
        const __m256 e = _mm256_and_ps(_mm256_castsi256_ps(k), exp8(_mm256_sub_ps(_mm256_maskload_ps(p + i, k), m)));
        _mm256_maskstore_ps(p + i, k, e);
        sum = _mm256_add_ps(sum, e);
    }
    return hsum(sum);
}

template <class T> void fill_typed(TypedKernels<T> &k) {
    k.tile_scores = tile_scores<T>;
    k.accumulate_values = accumulate_values<T>;
    k.axpy = axpy<T>;
}

}  // namespace

void fill(AttnKernels &t) {
    fill_typed(t.f32);
    fill_typed(t.bf16);
    fill_typed(t.i8);
    t.max_of = max_of;
    t.exp_sum = exp_sum;
}

}  // namespace lh::attn::avx2
