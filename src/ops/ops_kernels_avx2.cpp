// AVX2 + FMA OpsKernels: integer dot products of u8 blocks with maddubs (the products VNNI
// would fuse), f32 products of bf16 rows, and the plain loops vectorised for AVX2.
// Compiled with the avx2 level's flags; rules in attention/kernel_table.h.
#include <cstdint>

#include "common/simd.h"
#include "ops/ops_kernels.h"

namespace lh::ops::avx2 {

#include "ops/ops_loops.inl"

namespace {

using qblocks::kBlock;

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline __m256i load32(const void *p) { return _mm256_loadu_si256(static_cast<const __m256i *>(p)); }

// sum(u * q) over a block as 8 int32 lanes, for u <= 127: maddubs multiplies unsigned by signed
// bytes and adds pairs into 16 bits with saturation, which 2 * 127 * 127 stays below.
inline __m256i block_dot_small(__m256i u, __m256i q) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, q), _mm256_set1_epi16(1));
}

// sum((u - 128) * q) for any bytes u: |u - 128| <= 128 and |q| <= 127 keep each pair within 16
// bits. The caller adds the 128 * sum(q) back through the block offsets.
inline __m256i block_dot_shifted(__m256i u, __m256i q) {
    const __m256i s = _mm256_xor_si256(u, _mm256_set1_epi8(static_cast<char>(0x80)));  // u - 128 as int8
    return block_dot_small(_mm256_abs_epi8(s), _mm256_sign_epi8(q, s));
}

inline __m256 scaled(__m256i dot, float sd, __m256 acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(sd), acc);
}

// One row: sum over blocks of d_b * s_b * sum(u * q) + c_b * d_b * sum(q) (qblocks.h).
template <int Bits>
float row_dot(const uint8_t *ur, const float *sr, const float *cr, int64_t nb, const qblocks::QuantizedActivations &x) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    if (Bits == 4) {
        // Blocks 2p and 2p+1 share 32 bytes: low nibbles, high nibbles.
        const __m256i nibble = _mm256_set1_epi8(0x0f);
        for (; b + 2 <= nb; b += 2) {
            const __m256i v = load32(ur + 16 * b);
            const __m256i d0 = block_dot_small(_mm256_and_si256(v, nibble), load32(x.q + kBlock * b));
            const __m256i d1 = block_dot_small(_mm256_and_si256(_mm256_srli_epi16(v, 4), nibble),
                                               load32(x.q + kBlock * (b + 1)));
            acc0 = scaled(d0, sr[b] * x.d[b], acc0);
            acc1 = scaled(d1, sr[b + 1] * x.d[b + 1], acc1);
        }
        if (b < nb) {  // an odd last block, alone in 16 bytes
            alignas(32) uint8_t e[kBlock];
            qblocks::unpack_block(ur, b, nb, 4, e);
            acc0 = scaled(block_dot_small(load32(e), load32(x.q + kBlock * b)), sr[b] * x.d[b], acc0);
        }
    } else {
        for (; b + 2 <= nb; b += 2) {
            acc0 = scaled(block_dot_shifted(load32(ur + kBlock * b), load32(x.q + kBlock * b)), sr[b] * x.d[b], acc0);
            acc1 = scaled(block_dot_shifted(load32(ur + kBlock * (b + 1)), load32(x.q + kBlock * (b + 1))),
                          sr[b + 1] * x.d[b + 1], acc1);
        }
        if (b < nb)
            acc0 = scaled(block_dot_shifted(load32(ur + kBlock * b), load32(x.q + kBlock * b)), sr[b] * x.d[b], acc0);
    }
    // Offset terms: c_b * d_b * sum(q), with c_b + 128 s_b for the shifted 8-bit products (zero
    // for q8_0, whose offset is exactly -128 s).
    const __m256 shift = _mm256_set1_ps(Bits == 4 ? 0.0f : 128.0f);
    __m256 off = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= nb; i += 8)
        off = _mm256_fmadd_ps(_mm256_fmadd_ps(shift, _mm256_loadu_ps(sr + i), _mm256_loadu_ps(cr + i)),
                              _mm256_loadu_ps(x.d_sum + i), off);
    float sum = hsum(_mm256_add_ps(acc0, acc1)) + hsum(off);
    for (; i < nb; ++i) sum += __builtin_fmaf(Bits == 4 ? 0.0f : 128.0f, sr[i], cr[i]) * x.d_sum[i];
    return sum;
}

void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const qblocks::QuantizedActivations &x, float *y) {
    const int64_t nb = cols / kBlock;
    const int64_t row_bytes = u8_row_bytes(cols, bits);
    for (int64_t row = row0; row < row1; ++row) {
        const uint8_t *ur = u + row * row_bytes;
        y[row - row0] = bits == 4 ? row_dot<4>(ur, scale + row * nb, offset + row * nb, nb, x)
                                  : row_dot<8>(ur, scale + row * nb, offset + row * nb, nb, x);
    }
}

// 8 f32 lanes: the vector operations bf16_rows.inl uses.
struct Lanes8 {
    using V = __m256;
    static constexpr int64_t kWidth = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load_x(const float *p) { return _mm256_loadu_ps(p); }
    static V load_w(const uint16_t *p) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    static V fma(V a, V b, V acc) { return _mm256_fmadd_ps(a, b, acc); }
    static float sum(V v) { return hsum(v); }
};

#include "ops/bf16_rows.inl"

}  // namespace

void fill(OpsKernels &t) {
    t.qblocks_dot_rows = dot_rows;
    t.qblocks_rows_to_bf16 = loop_rows_to_bf16;
    t.qblocks_rows_to_f32 = loop_rows_to_f32;
    t.quantize_activations = loop_quantize_activations;
    t.bf16_dot_rows = bf16_dot_rows_with<Lanes8>;
    t.bf16_to_f32 = loop_bf16_to_f32;
    t.f32_to_bf16 = loop_f32_to_bf16;
    fill_packed(t);
}

}  // namespace lh::ops::avx2
