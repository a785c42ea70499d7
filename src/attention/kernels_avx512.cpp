// AVX-512 (F/BW/VL/DQ) attention kernels: one 16-lane vector holds one dimension of a key tile's
// 16 tokens. Compiled with the avx512 level's flags; rules in kernel_table.h.
#include <cstdint>
#include <type_traits>

#include "attention/kernel_table.h"
#include "common/simd.h"

namespace lh::attn::avx512 {

#include "attention/tile_layout.inl"
#include "attention/kernels_scalar.inl"

namespace {

inline __m512 load16(const float *p) { return _mm512_loadu_ps(p); }
inline __m512 load16(const uint16_t *p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 load16(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))));
}

// e^x, ~1 ulp (Cephes expf polynomial); x <= 88.
inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}

inline __mmask16 tile_mask(int64_t base, int64_t a, int64_t b) {
    const int lo = tile_lo(base, a), hi = tile_hi(base, b);
    return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

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
        const __mmask16 mask = tile_mask(base, a, b);
        __m512 tile_scale = _mm512_set1_ps(1.0f);
        if constexpr (std::is_same<T, int8_t>::value) tile_scale = _mm512_loadu_ps(tile_scales(tile, d));
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

template <class T>
using ScoresFn = void (*)(const T *, int32_t, int64_t, int64_t, const float *, float *, int64_t);

template <class T>
void tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                 int64_t stride) {
    static const ScoresFn<T> by_rows[8] = {tile_scores_gb<1, T>, tile_scores_gb<2, T>, tile_scores_gb<3, T>,
                                           tile_scores_gb<4, T>, tile_scores_gb<5, T>, tile_scores_gb<6, T>,
                                           tile_scores_gb<7, T>, tile_scores_gb<8, T>};
    for (int32_t g0 = 0; g0 < G; g0 += 8)
        by_rows[(G - g0 < 8 ? G - g0 : 8) - 1](key_tiles, d, a, b, q + static_cast<int64_t>(g0) * d, s + g0 * stride,
                                               stride);
}

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

template <class T>
void accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride, int32_t G,
                       float *o) {
    if ((d & 15) != 0) {
        scalar_accumulate_values(values, d, a, n, p, stride, G, o);
        return;
    }
    static const ValuesFn<T> table[4][4] = {
        {values_gc<1, 1, T>, values_gc<1, 2, T>, values_gc<1, 3, T>, values_gc<1, 4, T>},
        {values_gc<2, 1, T>, values_gc<2, 2, T>, values_gc<2, 3, T>, values_gc<2, 4, T>},
        {values_gc<3, 1, T>, values_gc<3, 2, T>, values_gc<3, 3, T>, values_gc<3, 4, T>},
        {values_gc<4, 1, T>, values_gc<4, 2, T>, values_gc<4, 3, T>, values_gc<4, 4, T>}};
    const int32_t chunks = d / 16;
    for (int32_t g0 = 0; g0 < G; g0 += 4)
        for (int32_t c0 = 0; c0 < chunks; c0 += 4) {
            const int gb = G - g0 < 4 ? G - g0 : 4, cb = chunks - c0 < 4 ? chunks - c0 : 4;
            table[gb - 1][cb - 1](values + c0 * 16, d, c0 * 16, a, n, p + g0 * stride, stride,
                                  o + static_cast<int64_t>(g0) * d + c0 * 16);
        }
}

template <class T> void axpy(float a, const T *v, float *out, int32_t d) {
    if ((d & 15) != 0) {
        scalar_axpy(a, v, out, d);
        return;
    }
    const __m512 av = _mm512_set1_ps(a);
    for (int32_t i = 0; i < d; i += 16)
        _mm512_storeu_ps(out + i, _mm512_fmadd_ps(av, load16(v + i), _mm512_loadu_ps(out + i)));
}

float max_of(const float *p, int32_t n) {
    __m512 m = _mm512_set1_ps(-__builtin_inff());
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(p + i));
    if (i < n) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(m, static_cast<__mmask16>((1u << (n - i)) - 1u), p + i));
    return _mm512_reduce_max_ps(m);
}

float exp_sum(float *p, int32_t n, float mx) {
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

}  // namespace lh::attn::avx512
