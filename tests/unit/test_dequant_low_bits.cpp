// Dequantizers of q2_K, q3_K, iq4_nl and iq4_xs on hand-made blocks: each block sets a few
// elements through the bit positions ggml's layout gives them, and the expected values are
// written out by hand. (tests/oracle checks the same types against llama.cpp's reading.)
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "numeric/tensor_types.h"

using lh::TensorType;

namespace {

void put_half(std::vector<uint8_t> &b, size_t off, float v) {
    const uint16_t h = lh::float_to_half(v);
    b[off] = static_cast<uint8_t>(h & 0xff);
    b[off + 1] = static_cast<uint8_t>(h >> 8);
}

std::vector<float> deq(TensorType t, const std::vector<uint8_t> &bytes, int64_t n) {
    std::vector<float> y(static_cast<size_t>(n), -999.0f);
    lh::dequantize_row(t, bytes.data(), y.data(), n);
    return y;
}

}  // namespace

TEST_CASE("dequantize q2_K: 2-bit planes, 4-bit scales and mins per 16", "[tensor_types][dequant]") {
    std::vector<uint8_t> b(84, 0);
    put_half(b, 80, 0.5f);   // d
    put_half(b, 82, 0.25f);  // dmin
    for (int s = 0; s < 16; ++s) b[s] = static_cast<uint8_t>((s % 16) | ((15 - s) << 4));  // scale s, min 15 - s
    // qs[32 + 5] (second half, l = 5): elements 128 + 5, 160 + 5, 192 + 5, 224 + 5 get q 1, 2, 3, 0
    b[16 + 32 + 5] = 0b00111001;
    // qs[20] (first half, l = 20): element 20 (q 3, scale index 1) and 52 (q 2, index 3)
    b[16 + 20] = 0b00001011;
    const std::vector<float> y = deq(TensorType::Q2_K, b, 256);
    auto want = [](int e, int q) { return 0.5f * float(e / 16) * float(q) - 0.25f * float(15 - e / 16); };
    for (int e = 0; e < 256; ++e) {
        int q = 0;
        if (e == 133) q = 1;
        if (e == 165) q = 2;
        if (e == 197) q = 3;
        if (e == 20) q = 3;
        if (e == 52) q = 2;
        INFO("element " << e);
        CHECK(y[size_t(e)] == want(e, q));
    }
}

TEST_CASE("dequantize q3_K: high-bit mask and 6-bit signed scales", "[tensor_types][dequant]") {
    std::vector<uint8_t> b(110, 0);
    put_half(b, 108, 0.5f);
    // Scales (6-bit, minus 32): choose scale s = 40 + s (value 8 + s): low nibble (8 + s) & 15 in byte
    // s % 8 (low nibble for s < 8, high otherwise), high 2 bits ((40 + s) >> 4) at bits 2 (s / 4) of
    // byte 8 + s % 4.
    for (int s = 0; s < 16; ++s) {
        const int v = 40 + s;
        b[96 + s % 8] = static_cast<uint8_t>(b[96 + s % 8] | ((v & 15) << (s < 8 ? 0 : 4)));
        b[96 + 8 + s % 4] = static_cast<uint8_t>(b[96 + 8 + s % 4] | (((v >> 4) & 3) << (2 * (s / 4))));
    }
    // Every hmask bit set (no -4) except bit 5 (half 1, j 1) of hmask[7]: element 128 + 32 + 7.
    for (int l = 0; l < 32; ++l) b[static_cast<size_t>(l)] = 0xff;
    b[7] = 0xdf;
    // qs[32 + 7]: element 128 + 7 q 2, 160 + 7 q 1 (then -4), 192 + 7 q 3, 224 + 7 q 0.
    b[32 + 32 + 7] = 0b00110110;
    const std::vector<float> y = deq(TensorType::Q3_K, b, 256);
    for (int e = 0; e < 256; ++e) {
        int q = 0;
        if (e == 135) q = 2;
        if (e == 167) q = 1 - 4;
        if (e == 199) q = 3;
        INFO("element " << e);
        CHECK(y[size_t(e)] == 0.5f * float(8 + e / 16) * float(q));
    }
    // Without any hmask bit every element is 4 lower.
    std::fill(b.begin(), b.begin() + 32, 0);
    const std::vector<float> z = deq(TensorType::Q3_K, b, 256);
    CHECK(z[0] == 0.5f * 8.0f * -4.0f);
    CHECK(z[199] == 0.5f * float(8 + 199 / 16) * -1.0f);
}

TEST_CASE("dequantize iq4_nl: the 16 non-linear levels", "[tensor_types][dequant]") {
    const int levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    std::vector<uint8_t> b(36, 0);  // two blocks
    put_half(b, 0, 0.5f);
    put_half(b, 18, -2.0f);
    for (int j = 0; j < 16; ++j) {
        b[size_t(2 + j)] = static_cast<uint8_t>(j | ((15 - j) << 4));  // element j: level j, 16 + j: 15 - j
        b[size_t(20 + j)] = static_cast<uint8_t>(7 | (8 << 4));
    }
    const std::vector<float> y = deq(TensorType::IQ4_NL, b, 64);
    for (int j = 0; j < 16; ++j) {
        CHECK(y[size_t(j)] == 0.5f * float(levels[j]));
        CHECK(y[size_t(16 + j)] == 0.5f * float(levels[15 - j]));
        CHECK(y[size_t(32 + j)] == 20.0f);
        CHECK(y[size_t(48 + j)] == -2.0f);
    }
}

TEST_CASE("dequantize iq4_xs: 6-bit sub-block scales split over scales_l and scales_h", "[tensor_types][dequant]") {
    const int levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    std::vector<uint8_t> b(136, 0);
    put_half(b, 0, 0.25f);
    // Sub-block i gets the 6-bit scale 32 + 3 i - 10 = 22 + 3 i (value 3 i - 10).
    unsigned scales_h = 0;
    for (int i = 0; i < 8; ++i) {
        const int v = 22 + 3 * i;
        b[size_t(4 + i / 2)] = static_cast<uint8_t>(b[size_t(4 + i / 2)] | ((v & 15) << (4 * (i % 2))));
        scales_h |= static_cast<unsigned>((v >> 4) & 3) << (2 * i);
    }
    b[2] = static_cast<uint8_t>(scales_h & 0xff);
    b[3] = static_cast<uint8_t>(scales_h >> 8);
    for (int k = 0; k < 128; ++k) b[size_t(8 + k)] = static_cast<uint8_t>((k % 16) | ((k * 7 % 16) << 4));
    const std::vector<float> y = deq(TensorType::IQ4_XS, b, 256);
    for (int e = 0; e < 256; ++e) {
        const int i = e / 32, j = e % 32;
        const int k = 16 * i + j % 16;  // its byte
        const int idx = j < 16 ? k % 16 : k * 7 % 16;
        INFO("element " << e);
        CHECK(y[size_t(e)] == 0.25f * float(3 * i - 10) * float(levels[idx]));
    }
}
