// AVX512-VNNI products of u8 blocks: 64 bytes (two blocks) per vpdpbusd step, the block factors
// spread over each half of the 16 lanes by a permute of 16 block factors. Part of the
// avx512_bf16 level (BF16 and VNNI come together in every CPU that has BF16); rules in
// attention/kernel_table.h.
#include <cstdint>

#include "common/simd.h"
#include "ops/ops_kernels.h"

namespace lh::ops::avx512bf16 {

#include "ops/ops_loops.inl"

namespace {

using qblocks::kBlock;

// 64 weights of blocks 2p, 2p+1 as unsigned bytes: straight from a u8 row, or from 32 bytes of
// a 4-bit row (low nibbles = first block, high nibbles = second).
template <int Bits>
inline __m512i load_pair(const uint8_t *ur, int64_t pair) {
    if (Bits == 8) return _mm512_loadu_si512(ur + 64 * pair);
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(ur + 32 * pair));
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_and_si256(v, mask);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

template <int Bits>
inline float row_dot_vnni(const uint8_t *ur, const float *sr, const float *cr, int64_t nb,
                          const qblocks::QuantizedActivations &x) {
    static const __m512i pair_idx[8] = {
        _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
        _mm512_set_epi32(5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
        _mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6),
        _mm512_set_epi32(9, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8),
        _mm512_set_epi32(11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 10, 10, 10, 10, 10, 10),
        _mm512_set_epi32(13, 13, 13, 13, 13, 13, 13, 13, 12, 12, 12, 12, 12, 12, 12, 12),
        _mm512_set_epi32(15, 15, 15, 15, 15, 15, 15, 15, 14, 14, 14, 14, 14, 14, 14, 14),
    };
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc_off = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 16 <= nb; b += 16) {
        const __m512 sd = _mm512_mul_ps(_mm512_loadu_ps(sr + b), _mm512_loadu_ps(x.d + b));
        acc_off = _mm512_fmadd_ps(_mm512_loadu_ps(cr + b), _mm512_loadu_ps(x.d_sum + b), acc_off);
        const int8_t *xp = x.q + kBlock * b;
        for (int p = 0; p < 8; p += 2) {
            const __m512i s0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), load_pair<Bits>(ur, b / 2 + p),
                                                   _mm512_loadu_si512(xp + 64 * p));
            const __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), load_pair<Bits>(ur, b / 2 + p + 1),
                                                   _mm512_loadu_si512(xp + 64 * (p + 1)));
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_permutexvar_ps(pair_idx[p], sd), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_permutexvar_ps(pair_idx[p + 1], sd), acc1);
        }
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + _mm512_reduce_add_ps(acc_off);
    // Tail of fewer than 16 blocks: one block at a time.
    for (; b < nb; ++b) {
        alignas(32) uint8_t e[kBlock];
        qblocks::unpack_block(ur, b, nb, Bits, e);
        const __m256i uu = _mm256_load_si256(reinterpret_cast<const __m256i *>(e));
        const __m256i xx = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x.q + kBlock * b));
        const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), uu, xx);
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
        sum += x.d[b] * (sr[b] * static_cast<float>(_mm_cvtsi128_si32(h))) + cr[b] * x.d_sum[b];
    }
    return sum;
}

void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const qblocks::QuantizedActivations &x, float *y) {
    const int64_t nb = cols / kBlock;
    const int64_t row_bytes = u8_row_bytes(cols, bits);
    for (int64_t row = row0; row < row1; ++row) {
        const uint8_t *ur = u + row * row_bytes;
        y[row - row0] = bits == 4 ? row_dot_vnni<4>(ur, scale + row * nb, offset + row * nb, nb, x)
                                  : row_dot_vnni<8>(ur, scale + row * nb, offset + row * nb, nb, x);
    }
}

}  // namespace

void fill(OpsKernels &t) {
    t.qblocks_dot_rows = dot_rows;
    t.qblocks_rows_to_bf16 = loop_rows_to_bf16;
    t.qblocks_rows_to_f32 = loop_rows_to_f32;
    t.f32_to_bf16 = loop_f32_to_bf16;
    fill_packed(t);  // with the activation quantizers
}

}  // namespace lh::ops::avx512bf16
