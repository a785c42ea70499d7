// Random ggml blocks for the tests of the quantized-weight kernels.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "numeric/tensor_types.h"

namespace test_rows {

// Random bytes for `rows` rows of `type`, with every f16 factor replaced by a modest value (random
// bits would give infinities and NaNs, which no real file holds).
inline std::vector<uint8_t> random_rows(lh::TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
    using lh::TensorType;
    const lh::TensorTypeTraits *tr = lh::tensor_type_traits(static_cast<uint32_t>(type));
    const size_t row_bytes = lh::tensor_row_bytes(type, cols);
    std::vector<uint8_t> bytes(row_bytes * static_cast<size_t>(rows));
    std::mt19937 rng(seed);
    for (uint8_t &b : bytes) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    auto put_half = [](uint8_t *p, float v) {
        const uint16_t h = lh::float_to_half(v);
        p[0] = static_cast<uint8_t>(h & 0xff);
        p[1] = static_cast<uint8_t>(h >> 8);
    };
    const int64_t n_blocks = rows * cols / tr->block_elems;
    for (int64_t b = 0; b < n_blocks; ++b) {
        uint8_t *blk = bytes.data() + static_cast<size_t>(b) * tr->block_bytes;
        switch (type) {
            case TensorType::Q8_0:
            case TensorType::Q4_0:
            case TensorType::Q5_0:
            case TensorType::IQ4_NL:
                put_half(blk, scale(rng));
                break;
            case TensorType::IQ4_XS:  // d, times a 6-bit scale - 32 and a level up to 127
                put_half(blk, scale(rng) / 16);
                break;
            case TensorType::Q4_1:
            case TensorType::Q5_1:
                put_half(blk, scale(rng));
                put_half(blk + 2, -8 * scale(rng));
                break;
            case TensorType::Q4_K:
            case TensorType::Q5_K:
                put_half(blk, scale(rng) / 16);
                put_half(blk + 2, scale(rng) / 16);
                break;
            case TensorType::Q6_K:
                put_half(blk + 208, scale(rng) / 16);
                break;
            case TensorType::Q2_K:  // d, dmin
                put_half(blk + 80, scale(rng) / 16);
                put_half(blk + 82, scale(rng) / 16);
                break;
            case TensorType::Q3_K:
                put_half(blk + 108, scale(rng) / 16);
                break;
            default:
                break;
        }
    }
    return bytes;
}

}  // namespace test_rows
