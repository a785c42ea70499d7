// AVX512-BF16 scores against a bf16 key cache: dimensions x and x+1 of a tile's 16 tokens are two
// adjacent rows of 16, so one 64-byte load and one permute put each token's pair side by side,
// and one vdpbf16ps adds both products for 16 tokens (the f32 FMA path converts and multiplies
// one dimension at a time). The queries are rounded to bf16 for this, as the keys already are;
// sums stay f32. Everything else comes from the avx512 level. Rules in kernel_table.h.
#include <cstdint>
#include <type_traits>

#include "attention/kernel_table.h"
#include "common/simd.h"

namespace lh::attn::avx512bf16 {

#include "attention/tile_layout.inl"

namespace {

constexpr int32_t kMaxBf16Dim = 256;  // query pairs kept on the stack

using Bf16Scores = void (*)(const uint16_t *, int32_t, int64_t, int64_t, const float *, int32_t, float *, int64_t);
Bf16Scores g_below = nullptr;  // the avx512 level's entry, for head sizes this kernel does not take

template <int GB>
void tile_scores_gb(const uint16_t *kt, int32_t d, int64_t a, int64_t b, const float *q, float *s, int64_t stride) {
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
        const int lo = tile_lo(base, a), hi = tile_hi(base, b);
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

using RowsFn = void (*)(const uint16_t *, int32_t, int64_t, int64_t, const float *, float *, int64_t);

void tile_scores(const uint16_t *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                 int64_t stride) {
    if (d % 16 != 0 || d > kMaxBf16Dim) {
        g_below(key_tiles, d, a, b, q, G, s, stride);
        return;
    }
    static const RowsFn by_rows[8] = {tile_scores_gb<1>, tile_scores_gb<2>, tile_scores_gb<3>, tile_scores_gb<4>,
                                      tile_scores_gb<5>, tile_scores_gb<6>, tile_scores_gb<7>, tile_scores_gb<8>};
    for (int32_t g0 = 0; g0 < G; g0 += 8)
        by_rows[(G - g0 < 8 ? G - g0 : 8) - 1](key_tiles, d, a, b, q + static_cast<int64_t>(g0) * d, s + g0 * stride,
                                               stride);
}

}  // namespace

void fill(AttnKernels &t) {
    g_below = t.bf16.tile_scores;
    t.bf16.tile_scores = tile_scores;
}

}  // namespace lh::attn::avx512bf16
