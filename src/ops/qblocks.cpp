#include "ops/qblocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include "common/simd.h"
#define LH_QBLOCKS_VNNI 1
#endif

#include "ops/ops.h"

namespace lh {
namespace qblocks {

namespace {

inline float half_at(const uint8_t *p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return half_to_float(h);
}

inline uint32_t u32_at(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// ggml's 32-element nibble order: element j is the low nibble of qs[j], element j + 16 the high.
void nibbles32(const uint8_t *qs, uint8_t *u) {
    for (int j = 0; j < 16; ++j) {
        u[j] = qs[j] & 0x0f;
        u[j + 16] = qs[j] >> 4;
    }
}

// Fifth bits of a q5_0/q5_1 block: bit j of qh belongs to element j.
void add_fifth_bits(uint32_t qh, uint8_t *u) {
    for (int j = 0; j < 32; ++j) u[j] = static_cast<uint8_t>(u[j] | (((qh >> j) & 1u) << 4));
}

}  // namespace

void unpack_block(const uint8_t *row, int64_t b, int64_t nb, int bits, uint8_t out[kBlock]) {
    if (bits == 8) {
        std::memcpy(out, row + kBlock * b, kBlock);
        return;
    }
    const uint8_t *pair = row + kBlock * (b / 2);  // 32 bytes per pair of blocks
    if (b % 2 == 0 && b + 1 == nb) {
        // Odd block count: the last block alone in 16 bytes, elements 0-15 low, 16-31 high.
        for (int j = 0; j < 16; ++j) {
            out[j] = pair[j] & 0x0f;
            out[j + 16] = pair[j] >> 4;
        }
        return;
    }
    for (int j = 0; j < kBlock; ++j) out[j] = (b % 2 == 0) ? (pair[j] & 0x0f) : (pair[j] >> 4);
}

void pack_row(const uint8_t *u, int64_t cols, int bits, uint8_t *out) {
    if (bits == 8) {
        std::memcpy(out, u, static_cast<size_t>(cols));
        return;
    }
    const int64_t nb = cols / kBlock;
    for (int64_t b = 0; b < nb; b += 2) {
        const uint8_t *e = u + kBlock * b;
        uint8_t *o = out + kBlock * (b / 2);
        if (b + 1 < nb) {
            for (int j = 0; j < kBlock; ++j) o[j] = static_cast<uint8_t>(e[j] | (e[kBlock + j] << 4));
        } else {
            for (int j = 0; j < 16; ++j) o[j] = static_cast<uint8_t>(e[j] | (e[16 + j] << 4));
        }
    }
}

int bits_for(TensorType type) {
    return (type == TensorType::Q4_0 || type == TensorType::Q4_1 || type == TensorType::Q4_K) ? 4 : 8;
}

bool supports(TensorType type) {
    switch (type) {
        case TensorType::Q8_0:
        case TensorType::Q4_0:
        case TensorType::Q5_0:
        case TensorType::Q4_1:
        case TensorType::Q5_1:
        case TensorType::Q4_K:
        case TensorType::Q5_K:
            return true;
        default:
            return false;
    }
}

void convert_row(TensorType type, const void *src_row, int64_t cols, uint8_t *u, float *scale, float *offset) {
    const uint8_t *src = static_cast<const uint8_t *>(src_row);
    const int64_t nb = cols / kBlock;
    switch (type) {
        case TensorType::Q8_0:
            for (int64_t b = 0; b < nb; ++b, src += 34) {
                const float d = half_at(src);
                for (int j = 0; j < 32; ++j) u[32 * b + j] = static_cast<uint8_t>(static_cast<int8_t>(src[2 + j]) + 128);
                scale[b] = d;
                offset[b] = -128.0f * d;
            }
            return;
        case TensorType::Q4_0:
            for (int64_t b = 0; b < nb; ++b, src += 18) {
                const float d = half_at(src);
                nibbles32(src + 2, u + 32 * b);
                scale[b] = d;
                offset[b] = -8.0f * d;
            }
            return;
        case TensorType::Q5_0:
            for (int64_t b = 0; b < nb; ++b, src += 22) {
                const float d = half_at(src);
                nibbles32(src + 6, u + 32 * b);
                add_fifth_bits(u32_at(src + 2), u + 32 * b);
                scale[b] = d;
                offset[b] = -16.0f * d;
            }
            return;
        case TensorType::Q4_1:
            for (int64_t b = 0; b < nb; ++b, src += 20) {
                nibbles32(src + 4, u + 32 * b);
                scale[b] = half_at(src);
                offset[b] = half_at(src + 2);
            }
            return;
        case TensorType::Q5_1:
            for (int64_t b = 0; b < nb; ++b, src += 24) {
                nibbles32(src + 8, u + 32 * b);
                add_fifth_bits(u32_at(src + 4), u + 32 * b);
                scale[b] = half_at(src);
                offset[b] = half_at(src + 2);
            }
            return;
        case TensorType::Q4_K:
        case TensorType::Q5_K: {
            // 256-element super-blocks; sub-block 2c takes the low nibbles of qs[32c ..], 2c+1 the
            // high ones; q5_K's fifth bit of sub-block s is bit s of qh[l].
            const bool five = type == TensorType::Q5_K;
            const size_t super_bytes = five ? 176 : 144;
            for (int64_t sb = 0; sb < nb / 8; ++sb, src += super_bytes) {
                const float d = half_at(src);
                const float dmin = half_at(src + 2);
                uint8_t sc[8], mn[8];
                unpack_k4_scales(src + 4, sc, mn);
                const uint8_t *qh = src + 16;
                const uint8_t *qs = src + (five ? 48 : 16);
                for (int s = 0; s < 8; ++s) {
                    const uint8_t *q = qs + 32 * (s / 2);
                    uint8_t *out = u + 256 * sb + 32 * s;
                    for (int l = 0; l < 32; ++l) {
                        int v = (s % 2 == 0) ? (q[l] & 0x0f) : (q[l] >> 4);
                        if (five) v |= ((qh[l] >> s) & 1) << 4;
                        out[l] = static_cast<uint8_t>(v);
                    }
                    scale[8 * sb + s] = d * sc[s];
                    offset[8 * sb + s] = -(dmin * mn[s]);
                }
            }
            return;
        }
        default:
            return;  // supports() is the caller's precondition
    }
}

void rows_to_bf16(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
                  int64_t n_rows, uint16_t *out) {
    const int64_t nb = cols / kBlock;
    const int64_t row_bytes = row_bytes_for(cols, bits);
    float tmp[kBlock];
    uint8_t e[kBlock];
    for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t row = row0 + r;
        const uint8_t *ur = u + row * row_bytes;
        const float *sr = scale + row * nb;
        const float *cr = offset + row * nb;
        for (int64_t b = 0; b < nb; ++b) {
            unpack_block(ur, b, nb, bits, e);
            for (int j = 0; j < kBlock; ++j) tmp[j] = std::fma(sr[b], static_cast<float>(e[j]), cr[b]);
            ops::to_bf16(tmp, out + r * cols + kBlock * b, kBlock);
        }
    }
}

void quantize_activations(const float *x, int64_t cols, QuantizedActivations &out) {
    const int64_t nb = cols / kBlock;
    for (int64_t b = 0; b < nb; ++b) {
        const float *xb = x + kBlock * b;
        float amax = 0.0f;
        for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < kBlock; ++j) {
            // Clamped before the cast so that a NaN or infinity cannot make it undefined.
            const float r = std::fmin(std::fmax(std::nearbyint(xb[j] * inv), -127.0f), 127.0f);
            const int32_t q = static_cast<int32_t>(r);
            out.q[kBlock * b + j] = static_cast<int8_t>(q);
            sum += q;
        }
        out.d[b] = d;
        out.d_sum[b] = d * static_cast<float>(sum);
    }
}

#if defined(LH_QBLOCKS_VNNI)

namespace {

// Sum of s_b * d_b * sum(u * q) over the blocks of one row: 64 bytes (two blocks) per VNNI
// step, the block factors spread over each half of the 16 lanes by a permute of 16 block factors.
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
                          const QuantizedActivations &x) {
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
        unpack_block(ur, b, nb, Bits, e);
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

}  // namespace

void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const QuantizedActivations &x, float *y) {
    const int64_t nb = cols / kBlock;
    const int64_t row_bytes = row_bytes_for(cols, bits);
    for (int64_t row = row0; row < row1; ++row) {
        const uint8_t *ur = u + row * row_bytes;
        y[row - row0] = bits == 4 ? row_dot_vnni<4>(ur, scale + row * nb, offset + row * nb, nb, x)
                                  : row_dot_vnni<8>(ur, scale + row * nb, offset + row * nb, nb, x);
    }
}

#else

void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const QuantizedActivations &x, float *y) {
    const int64_t nb = cols / kBlock;
    const int64_t row_bytes = row_bytes_for(cols, bits);
    uint8_t e[kBlock];
    for (int64_t row = row0; row < row1; ++row) {
        const uint8_t *ur = u + row * row_bytes;
        const float *sr = scale + row * nb;
        const float *cr = offset + row * nb;
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
            unpack_block(ur, b, nb, bits, e);
            int32_t dot = 0;
            for (int j = 0; j < kBlock; ++j) dot += static_cast<int32_t>(e[j]) * x.q[kBlock * b + j];
            sum += x.d[b] * (sr[b] * static_cast<float>(dot)) + cr[b] * x.d_sum[b];
        }
        y[row - row0] = sum;
    }
}

#endif

}  // namespace qblocks
}  // namespace lh
