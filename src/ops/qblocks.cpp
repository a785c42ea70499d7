#include "ops/qblocks.h"

#include <cstring>

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
    ops::kernels().qblocks_rows_to_bf16(u, bits, scale, offset, cols, row0, n_rows, out);
}

void rows_to_f32(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
                 int64_t n_rows, float *out) {
    ops::kernels().qblocks_rows_to_f32(u, bits, scale, offset, cols, row0, n_rows, out);
}

void quantize_activations(const float *x, int64_t cols, QuantizedActivations &out) {
    ops::kernels().quantize_activations(x, cols, out);
}

void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const QuantizedActivations &x, float *y) {
    ops::kernels().qblocks_dot_rows(u, bits, scale, offset, cols, row0, row1, x, y);
}

}  // namespace qblocks
}  // namespace lh
