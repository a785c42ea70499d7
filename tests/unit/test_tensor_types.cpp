// Tests for src/gguf/tensor_types: the ggml type table, half/bfloat16 conversion and the
// dequantizers. Hand-made blocks check the bit layouts against values worked out by hand; small
// reference quantizers written here check whole rows of random data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "numeric/tensor_types.h"

using lh::TensorType;

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float float_of(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void put_u16(std::vector<uint8_t> &buf, size_t off, uint16_t v) {
    buf[off] = static_cast<uint8_t>(v & 0xff);
    buf[off + 1] = static_cast<uint8_t>(v >> 8);
}

// Independent decoding of an IEEE binary16 value, in double.
double ref_half(uint16_t h) {
    const int sign = (h >> 15) & 1;
    const int e = (h >> 10) & 0x1f;
    const int m = h & 0x3ff;
    double v;
    if (e == 0) {
        v = std::ldexp(static_cast<double>(m), -24);
    } else if (e == 31) {
        v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    } else {
        v = std::ldexp(static_cast<double>(1024 + m), e - 25);
    }
    return sign ? -v : v;
}

// The fp16 value the dequantizer will see for a scale we want to store.
float as_half(float f) { return lh::half_to_float(lh::float_to_half(f)); }

std::vector<float> dequant(TensorType type, const std::vector<uint8_t> &bytes, int64_t n) {
    // Exact-size buffers so that AddressSanitizer sees any read or write past the row.
    REQUIRE(bytes.size() == lh::tensor_row_bytes(type, n));
    std::vector<uint8_t> src(bytes);
    std::vector<float> dst(static_cast<size_t>(n));
    lh::dequantize_row(type, src.data(), dst.data(), n);
    return dst;
}

// |got - want| within a couple of float ulps of the magnitudes involved (fused multiply-add or
// not, the library and the test may round a product-plus-offset differently).
bool near_enough(float got, float want, float magnitude) {
    return std::fabs(got - want) <= 4e-7f * (std::fabs(want) + std::fabs(magnitude)) + 1e-30f;
}

std::vector<float> random_row(std::mt19937 &rng, int64_t n, int64_t group) {
    // Each group gets its own amplitude and offset so scales and mins vary a lot within a row.
    std::uniform_real_distribution<float> amp(0.05f, 3.0f), off(-1.0f, 1.0f), u(-1.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t g = 0; g < n; g += group) {
        const float a = amp(rng), o = off(rng) * a;
        for (int64_t i = g; i < g + group; ++i) x[static_cast<size_t>(i)] = o + a * u(rng);
    }
    return x;
}

int round_clamp(float v, int lo, int hi) {
    const long r = std::lround(v);
    return static_cast<int>(std::min<long>(hi, std::max<long>(lo, r)));
}

// A quantized row as the test built it: packed bytes, and per element the value the format
// should decode to (from the codes and stored scales) and how far it may be from the source.
struct Quantized {
    std::vector<uint8_t> bytes;
    std::vector<float> expect;     // decoded value from codes and fp16 scales
    std::vector<float> magnitude;  // scale of the terms, for the rounding tolerance of `expect`
    std::vector<float> bound;      // allowed |source - decoded|
};

void check_quantized(TensorType type, const std::vector<float> &x, const Quantized &q) {
    const int64_t n = static_cast<int64_t>(x.size());
    const std::vector<float> y = dequant(type, q.bytes, n);
    int bad_decode = 0, bad_error = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!near_enough(y[i], q.expect[i], q.magnitude[i])) {
            if (bad_decode++ < 5) UNSCOPED_INFO("element " << i << ": got " << y[i] << ", codes say " << q.expect[i]);
        }
        if (!(std::fabs(y[i] - x[i]) <= q.bound[i])) {
            if (bad_error++ < 5)
                UNSCOPED_INFO("element " << i << ": source " << x[i] << ", got " << y[i] << ", bound " << q.bound[i]);
        }
    }
    CHECK(bad_decode == 0);
    CHECK(bad_error == 0);
}

// ---------------------------------------------------------------------------------------------
// Reference quantizers (simple, not ggml's: any valid encoding must decode the same way)
// ---------------------------------------------------------------------------------------------

// Symmetric 32-element formats: q4_0 (levels -7..7 around 8), q5_0 (-15..15 around 16),
// q8_0 (-127..127).
Quantized quantize_symmetric(TensorType type, const std::vector<float> &x) {
    const int levels = type == TensorType::Q4_0 ? 7 : type == TensorType::Q5_0 ? 15 : 127;
    const int bias = type == TensorType::Q4_0 ? 8 : type == TensorType::Q5_0 ? 16 : 0;
    const size_t block_bytes = type == TensorType::Q4_0 ? 18 : type == TensorType::Q5_0 ? 22 : 34;
    const size_t nb = x.size() / 32;
    Quantized q;
    q.bytes.assign(nb * block_bytes, 0);
    q.expect.resize(x.size());
    q.magnitude.resize(x.size());
    q.bound.resize(x.size());
    for (size_t b = 0; b < nb; ++b) {
        const float *xb = &x[b * 32];
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const uint16_t dh = lh::float_to_half(amax / levels);
        const float d = lh::half_to_float(dh);
        const size_t o = b * block_bytes;
        put_u16(q.bytes, o, dh);
        uint32_t qh = 0;
        for (int j = 0; j < 32; ++j) {
            const int v = d != 0 ? round_clamp(xb[j] / d, -levels, levels) : 0;
            const int code = v + bias;
            if (type == TensorType::Q8_0) {
                q.bytes[o + 2 + j] = static_cast<uint8_t>(static_cast<int8_t>(v));
            } else {
                const size_t qs = o + (type == TensorType::Q4_0 ? 2 : 6);
                q.bytes[qs + (j % 16)] |= static_cast<uint8_t>((code & 15) << (j < 16 ? 0 : 4));
                if (code & 16) qh |= 1u << j;
            }
            const size_t i = b * 32 + j;
            q.expect[i] = static_cast<float>(v) * d;
            q.magnitude[i] = q.expect[i];
            q.bound[i] = d * 0.5f * 1.0001f + 1e-6f * amax;
        }
        if (type == TensorType::Q5_0)
            for (int k = 0; k < 4; ++k) q.bytes[o + 2 + k] = static_cast<uint8_t>(qh >> (8 * k));
    }
    return q;
}

// Offset 32-element formats: q4_1 (codes 0..15), q5_1 (0..31): value = code * d + m.
Quantized quantize_offset(TensorType type, const std::vector<float> &x) {
    const bool five = type == TensorType::Q5_1;
    const int top = five ? 31 : 15;
    const size_t block_bytes = five ? 24 : 20;
    const size_t nb = x.size() / 32;
    Quantized q;
    q.bytes.assign(nb * block_bytes, 0);
    q.expect.resize(x.size());
    q.magnitude.resize(x.size());
    q.bound.resize(x.size());
    for (size_t b = 0; b < nb; ++b) {
        const float *xb = &x[b * 32];
        float lo = xb[0], hi = xb[0];
        for (int j = 0; j < 32; ++j) lo = std::min(lo, xb[j]), hi = std::max(hi, xb[j]);
        const uint16_t dh = lh::float_to_half((hi - lo) / top), mh = lh::float_to_half(lo);
        const float d = lh::half_to_float(dh), m = lh::half_to_float(mh);
        const size_t o = b * block_bytes;
        put_u16(q.bytes, o, dh);
        put_u16(q.bytes, o + 2, mh);
        uint32_t qh = 0;
        const size_t qs = o + (five ? 8 : 4);
        for (int j = 0; j < 32; ++j) {
            const int code = d != 0 ? round_clamp((xb[j] - m) / d, 0, top) : 0;
            q.bytes[qs + (j % 16)] |= static_cast<uint8_t>((code & 15) << (j < 16 ? 0 : 4));
            if (code & 16) qh |= 1u << j;
            const size_t i = b * 32 + j;
            q.expect[i] = static_cast<float>(code) * d + m;
            q.magnitude[i] = std::fabs(static_cast<float>(code) * d) + std::fabs(m);
            q.bound[i] = d * 0.5f * 1.0001f + std::fabs(lo - m) + top * std::fabs((hi - lo) / top - d) +
                         1e-6f * (std::fabs(lo) + std::fabs(hi));
        }
        if (five)
            for (int k = 0; k < 4; ++k) q.bytes[o + 4 + k] = static_cast<uint8_t>(qh >> (8 * k));
    }
    return q;
}

// The 12-byte packing of eight 6-bit scales and eight 6-bit mins used by q4_K and q5_K.
void pack_k4_scales(const int sc[8], const int mn[8], uint8_t out[12]) {
    for (int j = 0; j < 4; ++j) {
        out[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        out[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
    }
}

// q4_K / q5_K: 256-element super-blocks of eight 32-element sub-blocks, value = d*sc*q - dmin*m.
// Mins are rounded up and scales chosen to cover the whole sub-block range, so every element is
// within half a step of its code.
Quantized quantize_k4(TensorType type, const std::vector<float> &x) {
    const bool five = type == TensorType::Q5_K;
    const int top = five ? 31 : 15;
    const size_t block_bytes = five ? 176 : 144;
    const size_t nb = x.size() / 256;
    Quantized q;
    q.bytes.assign(nb * block_bytes, 0);
    q.expect.resize(x.size());
    q.magnitude.resize(x.size());
    q.bound.resize(x.size());
    for (size_t b = 0; b < nb; ++b) {
        const float *xb = &x[b * 256];
        float lo[8], hi[8];
        float max_min = 0;
        for (int s = 0; s < 8; ++s) {
            lo[s] = 0, hi[s] = 0;
            for (int l = 0; l < 32; ++l) lo[s] = std::min(lo[s], xb[32 * s + l]), hi[s] = std::max(hi[s], xb[32 * s + l]);
            max_min = std::max(max_min, -lo[s]);
        }
        const float dmin = as_half(max_min / 62);
        int mn[8], sc[8];
        float range[8], max_range = 0;
        for (int s = 0; s < 8; ++s) {
            mn[s] = dmin != 0 ? std::min(63, static_cast<int>(std::ceil(-lo[s] / dmin))) : 0;
            range[s] = (hi[s] + dmin * mn[s]) / top;
            max_range = std::max(max_range, range[s]);
        }
        const float d = as_half(max_range / 62);
        for (int s = 0; s < 8; ++s) sc[s] = d != 0 ? std::min(63, static_cast<int>(std::ceil(range[s] / d))) : 0;

        const size_t o = b * block_bytes;
        put_u16(q.bytes, o, lh::float_to_half(d));
        put_u16(q.bytes, o + 2, lh::float_to_half(dmin));
        pack_k4_scales(sc, mn, &q.bytes[o + 4]);
        const size_t qh = o + 16, qs = o + (five ? 48 : 16);
        for (int e = 0; e < 256; ++e) {
            const int s = e / 32, c = e / 64, h = (e / 32) % 2, l = e % 32;
            const float step = d * sc[s], off = dmin * mn[s];
            const int code = step != 0 ? round_clamp((xb[e] + off) / step, 0, top) : 0;
            q.bytes[qs + 32 * c + l] |= static_cast<uint8_t>((code & 15) << (4 * h));
            if (code & 16) q.bytes[qh + l] |= static_cast<uint8_t>(1u << (2 * c + h));
            const size_t i = b * 256 + e;
            q.expect[i] = step * static_cast<float>(code) - off;
            q.magnitude[i] = std::fabs(step * static_cast<float>(code)) + off;
            q.bound[i] = step * 0.5f * 1.0001f + 1e-6f * (std::fabs(xb[e]) + off + step);
        }
    }
    return q;
}

// q6_K: 256-element super-blocks of sixteen 16-element sub-blocks with int8 scales (odd sub-blocks
// get negative scales, which the format allows), codes -32..31 stored as 0..63.
Quantized quantize_q6_K(const std::vector<float> &x) {
    const size_t nb = x.size() / 256;
    Quantized q;
    q.bytes.assign(nb * 210, 0);
    q.expect.resize(x.size());
    q.magnitude.resize(x.size());
    q.bound.resize(x.size());
    for (size_t b = 0; b < nb; ++b) {
        const float *xb = &x[b * 256];
        float step[16], max_step = 0;
        for (int s = 0; s < 16; ++s) {
            float amax = 0;
            for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(xb[16 * s + l]));
            step[s] = amax / 31;
            max_step = std::max(max_step, step[s]);
        }
        const float d = as_half(max_step / 126);
        int sc[16];
        for (int s = 0; s < 16; ++s) {
            const int mag = d != 0 ? std::min(127, static_cast<int>(std::ceil(step[s] / d))) : 0;
            sc[s] = (s % 2) ? -mag : mag;
        }
        const size_t o = b * 210;
        for (int s = 0; s < 16; ++s) q.bytes[o + 192 + s] = static_cast<uint8_t>(static_cast<int8_t>(sc[s]));
        put_u16(q.bytes, o + 208, lh::float_to_half(d));
        for (int e = 0; e < 256; ++e) {
            const int s = e / 16, n = e / 128, g = (e % 128) / 32, l = e % 32;
            const float st = d * sc[s];
            const int v = st != 0 ? round_clamp(xb[e] / st, -32, 31) : 0;
            const int code = v + 32;
            q.bytes[o + 64 * n + l + 32 * (g % 2)] |= static_cast<uint8_t>((code & 15) << (g < 2 ? 0 : 4));
            q.bytes[o + 128 + 32 * n + l] |= static_cast<uint8_t>((code >> 4) << (2 * g));
            const size_t i = b * 256 + e;
            q.expect[i] = st * static_cast<float>(v);
            q.magnitude[i] = q.expect[i];
            q.bound[i] = std::fabs(st) * 0.5f * 1.0001f + 1e-6f * std::fabs(xb[e]);
        }
    }
    return q;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Type table
// ---------------------------------------------------------------------------------------------

TEST_CASE("tensor types: traits of the supported formats", "[tensor_types]") {
    struct Row {
        uint32_t id;
        const char *name;
        int64_t elems;
        size_t bytes;
    };
    const Row rows[] = {
        {0, "f32", 1, 4},      {1, "f16", 1, 2},       {2, "q4_0", 32, 18},    {3, "q4_1", 32, 20},
        {6, "q5_0", 32, 22},   {7, "q5_1", 32, 24},    {8, "q8_0", 32, 34},    {12, "q4_K", 256, 144},
        {13, "q5_K", 256, 176}, {14, "q6_K", 256, 210}, {30, "bf16", 1, 2},    {10, "q2_K", 256, 84},
        {11, "q3_K", 256, 110}, {20, "iq4_nl", 32, 18}, {23, "iq4_xs", 256, 136},
    };
    for (const Row &r : rows) {
        INFO("type " << r.id);
        const lh::TensorTypeTraits *t = lh::tensor_type_traits(r.id);
        REQUIRE(t != nullptr);
        CHECK(std::string(t->name) == r.name);
        CHECK(t->block_elems == r.elems);
        CHECK(t->block_bytes == r.bytes);
        CHECK(t->can_dequantize);
        CHECK(std::string(lh::tensor_type_name(r.id)) == r.name);
    }
}

TEST_CASE("tensor types: every ggml type id has its ggml name and geometry", "[tensor_types]") {
    struct Row {
        uint32_t id;
        const char *name;
        int64_t elems;
        size_t bytes;
    };
    const Row rows[] = {
        {9, "q8_1", 32, 36},        {15, "q8_K", 256, 292},     {16, "iq2_xxs", 256, 66},
        {17, "iq2_xs", 256, 74},    {18, "iq3_xxs", 256, 98},   {19, "iq1_s", 256, 50},
        {21, "iq3_s", 256, 110},    {22, "iq2_s", 256, 82},
        {24, "i8", 1, 1},           {25, "i16", 1, 2},          {26, "i32", 1, 4},
        {27, "i64", 1, 8},          {28, "f64", 1, 8},          {29, "iq1_m", 256, 56},
        {34, "tq1_0", 256, 54},     {35, "tq2_0", 256, 66},     {39, "mxfp4", 32, 17},
    };
    for (const Row &r : rows) {
        INFO("type " << r.id);
        const lh::TensorTypeTraits *t = lh::tensor_type_traits(r.id);
        REQUIRE(t != nullptr);
        CHECK(std::string(t->name) == r.name);
        CHECK(std::string(lh::tensor_type_name(r.id)) == r.name);
        CHECK(t->block_elems == r.elems);
        CHECK(t->block_bytes == r.bytes);
        CHECK_FALSE(t->can_dequantize);
    }
    // The enum's values are ggml's ids.
    CHECK(static_cast<uint32_t>(TensorType::Q8_1) == 9);
    CHECK(static_cast<uint32_t>(TensorType::Q2_K) == 10);
    CHECK(static_cast<uint32_t>(TensorType::Q8_K) == 15);
    CHECK(static_cast<uint32_t>(TensorType::IQ4_NL) == 20);
    CHECK(static_cast<uint32_t>(TensorType::IQ4_XS) == 23);
    CHECK(static_cast<uint32_t>(TensorType::BF16) == 30);
}

TEST_CASE("tensor types: can_dequantize holds for exactly the fifteen supported types", "[tensor_types]") {
    const std::vector<uint32_t> supported = {0, 1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 20, 23, 30};
    for (uint32_t id = 0; id < 300; ++id) {
        INFO("type " << id);
        const lh::TensorTypeTraits *t = lh::tensor_type_traits(id);
        const bool want = std::find(supported.begin(), supported.end(), id) != supported.end();
        CHECK((t != nullptr && t->can_dequantize) == want);
        if (t != nullptr) {
            CHECK(t->block_elems > 0);
            CHECK(t->block_bytes > 0);
            CHECK(t->name != nullptr);
        }
    }
}

TEST_CASE("tensor types: unknown and retired ids", "[tensor_types]") {
    for (uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 999u, 4294967295u}) {
        INFO("type " << id);
        CHECK(lh::tensor_type_traits(id) == nullptr);
        CHECK(std::string(lh::tensor_type_name(id)) == "type " + std::to_string(id));
    }
    CHECK(std::string(lh::tensor_type_name(999)) == "type 999");
    // Static storage: the same pointer every time, still valid after other names were made.
    const char *a = lh::tensor_type_name(1000);
    for (uint32_t id = 2000; id < 2100; ++id) (void)lh::tensor_type_name(id);
    CHECK(lh::tensor_type_name(1000) == a);
    CHECK(std::string(a) == "type 1000");
    CHECK(lh::tensor_type_name(12) == lh::tensor_type_name(12));
}

TEST_CASE("tensor types: row bytes", "[tensor_types]") {
    CHECK(lh::tensor_row_bytes(TensorType::F32, 10) == 40);
    CHECK(lh::tensor_row_bytes(TensorType::F16, 7) == 14);
    CHECK(lh::tensor_row_bytes(TensorType::BF16, 4096) == 8192);
    CHECK(lh::tensor_row_bytes(TensorType::Q4_0, 4096) == 128 * 18);
    CHECK(lh::tensor_row_bytes(TensorType::Q4_1, 64) == 40);
    CHECK(lh::tensor_row_bytes(TensorType::Q5_0, 96) == 66);
    CHECK(lh::tensor_row_bytes(TensorType::Q5_1, 32) == 24);
    CHECK(lh::tensor_row_bytes(TensorType::Q8_0, 64) == 68);
    CHECK(lh::tensor_row_bytes(TensorType::Q4_K, 4096) == 16 * 144);
    CHECK(lh::tensor_row_bytes(TensorType::Q5_K, 512) == 352);
    CHECK(lh::tensor_row_bytes(TensorType::Q6_K, 11008) == 43 * 210);
    CHECK(lh::tensor_row_bytes(TensorType::Q2_K, 256) == 84);
    CHECK(lh::tensor_row_bytes(TensorType::Q8_0, 0) == 0);
    // Large rows do not overflow 32 bits.
    CHECK(lh::tensor_row_bytes(TensorType::F32, int64_t(3) << 30) == (size_t(3) << 32));
    CHECK(lh::tensor_row_bytes(static_cast<TensorType>(999), 32) == 0);
}

// ---------------------------------------------------------------------------------------------
// Half and bfloat16
// ---------------------------------------------------------------------------------------------

TEST_CASE("tensor types: half: known values and edge cases", "[tensor_types][half]") {
    CHECK(lh::half_to_float(0x0000) == 0.0f);
    CHECK_FALSE(std::signbit(lh::half_to_float(0x0000)));
    CHECK(lh::half_to_float(0x8000) == 0.0f);
    CHECK(std::signbit(lh::half_to_float(0x8000)));
    CHECK(lh::half_to_float(0x3C00) == 1.0f);
    CHECK(lh::half_to_float(0xC000) == -2.0f);
    CHECK(lh::half_to_float(0x3555) == 0.333251953125f);
    CHECK(lh::half_to_float(0x7BFF) == 65504.0f);
    CHECK(lh::half_to_float(0xFBFF) == -65504.0f);
    CHECK(lh::half_to_float(0x0400) == std::ldexp(1.0f, -14));
    CHECK(lh::half_to_float(0x03FF) == std::ldexp(1023.0f, -24));
    CHECK(lh::half_to_float(0x0001) == std::ldexp(1.0f, -24));
    CHECK(lh::half_to_float(0x8001) == -std::ldexp(1.0f, -24));
    CHECK(lh::half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
    CHECK(lh::half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(lh::half_to_float(0x7E00)));
    CHECK(std::isnan(lh::half_to_float(0x7C01)));  // signalling NaN stays a NaN
    CHECK(std::isnan(lh::half_to_float(0xFFFF)));

    CHECK(lh::float_to_half(0.0f) == 0x0000);
    CHECK(lh::float_to_half(-0.0f) == 0x8000);
    CHECK(lh::float_to_half(1.0f) == 0x3C00);
    CHECK(lh::float_to_half(-2.0f) == 0xC000);
    CHECK(lh::float_to_half(65504.0f) == 0x7BFF);
    CHECK(lh::float_to_half(65519.99f) == 0x7BFF);
    CHECK(lh::float_to_half(65520.0f) == 0x7C00);  // the tie rounds to even: infinity
    CHECK(lh::float_to_half(1e10f) == 0x7C00);
    CHECK(lh::float_to_half(-1e10f) == 0xFC00);
    CHECK(lh::float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(lh::float_to_half(-std::numeric_limits<float>::infinity()) == 0xFC00);
    CHECK(lh::float_to_half(std::numeric_limits<float>::max()) == 0x7C00);
    // Ties to even in the normal range.
    CHECK(lh::float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);
    CHECK(lh::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);
    CHECK(lh::float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3C01);
    CHECK(lh::float_to_half(2047.0f / 1024.0f + std::ldexp(1.0f, -11)) == 0x4000);  // carries into the exponent
    // Subnormals and underflow.
    CHECK(lh::float_to_half(std::ldexp(1.0f, -24)) == 0x0001);
    CHECK(lh::float_to_half(std::ldexp(1.0f, -25)) == 0x0000);                       // tie to even 0
    CHECK(lh::float_to_half(std::ldexp(1.0f, -25) * 1.0001f) == 0x0001);
    CHECK(lh::float_to_half(std::ldexp(3.0f, -25)) == 0x0002);                       // tie to even 2
    CHECK(lh::float_to_half(std::ldexp(5.0f, -25)) == 0x0002);                       // tie to even 2
    CHECK(lh::float_to_half(-std::ldexp(1023.0f, -24)) == 0x83FF);
    CHECK(lh::float_to_half(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25)) == 0x0400);  // rounds up to normal
    CHECK(lh::float_to_half(std::ldexp(1.0f, -14)) == 0x0400);
    CHECK(lh::float_to_half(1e-10f) == 0x0000);
    CHECK(lh::float_to_half(-1e-10f) == 0x8000);
    CHECK(lh::float_to_half(std::numeric_limits<float>::denorm_min()) == 0x0000);
    // NaN stays NaN, sign kept, quiet.
    const uint16_t qn = lh::float_to_half(std::numeric_limits<float>::quiet_NaN());
    CHECK((qn & 0x7C00) == 0x7C00);
    CHECK((qn & 0x03FF) != 0);
    CHECK((qn & 0x0200) != 0);
    const uint16_t nn = lh::float_to_half(float_of(0xFF800001u));  // negative signalling NaN, low payload
    CHECK(nn == 0xFE00);
    CHECK(std::isnan(lh::half_to_float(nn)));
}

TEST_CASE("tensor types: half: every value decodes exactly and round-trips", "[tensor_types][half]") {
    int mismatches = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const uint16_t hv = static_cast<uint16_t>(h);
        const float f = lh::half_to_float(hv);
        const double want = ref_half(hv);
        if (std::isnan(want)) {
            if (!std::isnan(f)) ++mismatches;
            const uint16_t back = lh::float_to_half(f);
            if ((back & 0x7C00) != 0x7C00 || (back & 0x3FF) == 0 || (back & 0x8000) != (hv & 0x8000)) ++mismatches;
            continue;
        }
        if (static_cast<double>(f) != want || std::signbit(f) != std::signbit(want)) ++mismatches;
        if (lh::float_to_half(f) != hv) ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("tensor types: half: float_to_half rounds to nearest even everywhere", "[tensor_types][half]") {
    // Between consecutive finite positive halves a and b: just above a, the midpoint, and just
    // below b. Midpoints are exact floats (12 significant bits).
    int mismatches = 0;
    for (uint32_t a = 0; a < 0x7BFF; ++a) {
        const uint16_t b = static_cast<uint16_t>(a + 1);
        const double lo = ref_half(static_cast<uint16_t>(a)), hi = ref_half(b);
        const float mid = static_cast<float>((lo + hi) / 2);
        REQUIRE(static_cast<double>(mid) == (lo + hi) / 2);
        const uint16_t even = (a % 2 == 0) ? static_cast<uint16_t>(a) : b;
        if (lh::float_to_half(mid) != even) ++mismatches;
        if (lh::float_to_half(std::nextafter(mid, 0.0f)) != a) ++mismatches;
        if (lh::float_to_half(std::nextafter(mid, 1e9f)) != b) ++mismatches;
        if (lh::float_to_half(-mid) != (even | 0x8000)) ++mismatches;
        if (lh::float_to_half(-std::nextafter(mid, 1e9f)) != (b | 0x8000)) ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("tensor types: bf16: conversion and round trip", "[tensor_types][half]") {
    CHECK(lh::bf16_to_float(0x3F80) == 1.0f);
    CHECK(lh::bf16_to_float(0xC040) == -3.0f);
    CHECK(lh::bf16_to_float(0x7F80) == std::numeric_limits<float>::infinity());
    CHECK(std::isnan(lh::bf16_to_float(0x7FC0)));
    CHECK(lh::float_to_bf16(1.0f) == 0x3F80);
    CHECK(lh::float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);      // tie to even
    CHECK(lh::float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);  // tie to even
    CHECK(lh::float_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 0x3F81);
    CHECK(lh::float_to_bf16(std::numeric_limits<float>::max()) == 0x7F80);  // overflows to inf
    CHECK(std::isnan(lh::bf16_to_float(lh::float_to_bf16(float_of(0x7F800001u)))));
    int mismatches = 0;
    for (uint32_t b = 0; b < 65536; ++b) {
        const uint16_t bv = static_cast<uint16_t>(b);
        const float f = lh::bf16_to_float(bv);
        if (bits_of(f) != (b << 16)) ++mismatches;
        if (!std::isnan(f) && lh::float_to_bf16(f) != bv) ++mismatches;
        if (std::isnan(f) && !std::isnan(lh::bf16_to_float(lh::float_to_bf16(f)))) ++mismatches;
    }
    CHECK(mismatches == 0);
}

// ---------------------------------------------------------------------------------------------
// Hand-made blocks with values worked out by hand
// ---------------------------------------------------------------------------------------------

TEST_CASE("tensor types: dequantize f32, f16, bf16", "[tensor_types][dequant]") {
    const float f[5] = {1.5f, -0.0f, 3e38f, -1e-40f, 7.0f};
    std::vector<uint8_t> fb(sizeof f);
    std::memcpy(fb.data(), f, sizeof f);
    const std::vector<float> yf = dequant(TensorType::F32, fb, 5);
    for (int i = 0; i < 5; ++i) CHECK(bits_of(yf[i]) == bits_of(f[i]));

    const uint16_t h[7] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000, 0x3555};
    std::vector<uint8_t> hb(14);
    for (int i = 0; i < 7; ++i) put_u16(hb, 2 * i, h[i]);
    const std::vector<float> yh = dequant(TensorType::F16, hb, 7);
    CHECK(yh[0] == 1.0f);
    CHECK(yh[1] == -2.0f);
    CHECK(yh[2] == 65504.0f);
    CHECK(yh[3] == std::ldexp(1.0f, -24));
    CHECK(yh[4] == std::numeric_limits<float>::infinity());
    CHECK((yh[5] == 0.0f && std::signbit(yh[5])));
    CHECK(yh[6] == 0.333251953125f);

    const uint16_t b[4] = {0x3F80, 0xC040, 0x7F80, 0x0001};
    std::vector<uint8_t> bb(8);
    for (int i = 0; i < 4; ++i) put_u16(bb, 2 * i, b[i]);
    const std::vector<float> yb = dequant(TensorType::BF16, bb, 4);
    CHECK(yb[0] == 1.0f);
    CHECK(yb[1] == -3.0f);
    CHECK(yb[2] == std::numeric_limits<float>::infinity());
    CHECK(yb[3] == std::ldexp(1.0f, -133));

    // Long rows (vectorised body plus tail) against the scalar conversion.
    std::vector<uint8_t> all(2 * 65536);
    for (uint32_t i = 0; i < 65536; ++i) put_u16(all, 2 * i, static_cast<uint16_t>(i));
    const std::vector<float> ya = dequant(TensorType::F16, all, 65536);
    const std::vector<float> yab = dequant(TensorType::BF16, all, 65536);
    int bad = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
        const float want = lh::half_to_float(static_cast<uint16_t>(i));
        if (bits_of(ya[i]) != bits_of(want) && !(std::isnan(ya[i]) && std::isnan(want))) ++bad;
        if (bits_of(yab[i]) != (i << 16)) ++bad;
    }
    CHECK(bad == 0);
    // An odd length from an odd address: the vector body and a scalar tail.
    std::vector<float> yo(65533);
    std::vector<uint8_t> odd(all.size() + 1);
    std::memcpy(odd.data() + 1, all.data(), all.size());
    lh::dequantize_row(TensorType::F16, odd.data() + 1 + 6, yo.data(), 65533);
    bad = 0;
    for (uint32_t i = 0; i < 65533; ++i) {
        const float want = ya[i + 3];
        if (bits_of(yo[i]) != bits_of(want) && !(std::isnan(yo[i]) && std::isnan(want))) ++bad;
    }
    CHECK(bad == 0);
}

TEST_CASE("tensor types: dequantize q4_0: nibble order and offset", "[tensor_types][dequant]") {
    // d = 2; byte j holds element j (low nibble = j) and element j+16 (high nibble = 15-j).
    std::vector<uint8_t> blk(18);
    put_u16(blk, 0, 0x4000);
    for (int j = 0; j < 16; ++j) blk[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    const std::vector<float> y = dequant(TensorType::Q4_0, blk, 32);
    const float want[32] = {-16, -14, -12, -10, -8, -6, -4, -2, 0,  2,  4,  6,  8,   10,  12,  14,
                            14,  12,  10,  8,   6,  4,  2,  0,  -2, -4, -6, -8, -10, -12, -14, -16};
    for (int i = 0; i < 32; ++i) {
        INFO("element " << i);
        CHECK(y[i] == want[i]);
    }
}

TEST_CASE("tensor types: dequantize q4_1: scale and min", "[tensor_types][dequant]") {
    // d = 0.5, m = -3.
    std::vector<uint8_t> blk(20);
    put_u16(blk, 0, 0x3800);
    put_u16(blk, 2, 0xC200);
    for (int j = 0; j < 16; ++j) blk[4 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    const std::vector<float> y = dequant(TensorType::Q4_1, blk, 32);
    CHECK(y[0] == -3.0f);
    CHECK(y[1] == -2.5f);
    CHECK(y[15] == 4.5f);
    CHECK(y[16] == 4.5f);
    CHECK(y[17] == 4.0f);
    CHECK(y[31] == -3.0f);
    for (int j = 0; j < 16; ++j) {
        CHECK(y[j] == 0.5f * j - 3.0f);
        CHECK(y[j + 16] == 0.5f * (15 - j) - 3.0f);
    }
}

TEST_CASE("tensor types: dequantize q5_0 and q5_1: fifth bits", "[tensor_types][dequant]") {
    // qh = bits {0, 9, 16, 24, 31}, little endian: bytes 01 02 01 81.
    const uint8_t qh[4] = {0x01, 0x02, 0x01, 0x81};
    auto high = [](int e) { return (e == 0 || e == 9 || e == 16 || e == 24 || e == 31) ? 16 : 0; };
    auto nibble = [](int e) { return e < 16 ? e : 15 - (e - 16); };

    std::vector<uint8_t> b0(22);
    put_u16(b0, 0, 0x3C00);  // d = 1
    std::memcpy(&b0[2], qh, 4);
    for (int j = 0; j < 16; ++j) b0[6 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    const std::vector<float> y0 = dequant(TensorType::Q5_0, b0, 32);
    CHECK(y0[0] == 0.0f);    // 0 | 16, minus 16
    CHECK(y0[1] == -15.0f);
    CHECK(y0[9] == 9.0f);    // 9 | 16
    CHECK(y0[15] == -1.0f);
    CHECK(y0[16] == 15.0f);  // 15 | 16
    CHECK(y0[17] == -2.0f);
    CHECK(y0[24] == 7.0f);   // 7 | 16
    CHECK(y0[30] == -15.0f);
    CHECK(y0[31] == 0.0f);   // 0 | 16
    for (int e = 0; e < 32; ++e) {
        INFO("element " << e);
        CHECK(y0[e] == static_cast<float>((nibble(e) | high(e)) - 16));
    }

    std::vector<uint8_t> b1(24);
    put_u16(b1, 0, 0x3400);  // d = 0.25
    put_u16(b1, 2, 0x3C00);  // m = 1
    std::memcpy(&b1[4], qh, 4);
    for (int j = 0; j < 16; ++j) b1[8 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    const std::vector<float> y1 = dequant(TensorType::Q5_1, b1, 32);
    CHECK(y1[0] == 5.0f);    // 16 * 0.25 + 1
    CHECK(y1[1] == 1.25f);
    CHECK(y1[16] == 8.75f);  // 31 * 0.25 + 1
    CHECK(y1[31] == 5.0f);
    for (int e = 0; e < 32; ++e) {
        INFO("element " << e);
        CHECK(y1[e] == static_cast<float>(nibble(e) | high(e)) * 0.25f + 1.0f);
    }
}

TEST_CASE("tensor types: dequantize q8_0: signed bytes", "[tensor_types][dequant]") {
    std::vector<uint8_t> blk(2 * 34);
    put_u16(blk, 0, 0x3800);   // d = 0.5
    put_u16(blk, 34, 0xBC00);  // d = -1 in the second block
    for (int j = 0; j < 32; ++j) {
        blk[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j - 16));
        blk[36 + j] = static_cast<uint8_t>(static_cast<int8_t>(3 * j - 50));
    }
    blk[2] = 0x80;   // -128
    blk[33] = 0x7F;  // 127
    const std::vector<float> y = dequant(TensorType::Q8_0, blk, 64);
    CHECK(y[0] == -64.0f);
    CHECK(y[1] == -7.5f);
    CHECK(y[16] == 0.0f);
    CHECK(y[30] == 7.0f);
    CHECK(y[31] == 63.5f);
    for (int j = 0; j < 32; ++j) CHECK(y[32 + j] == static_cast<float>(50 - 3 * j));
}

namespace {
// Shared by the q4_K and q5_K hand-made blocks: scales {1,2,3,4,17,33,49,63}, mins
// {0,1,2,3,20,40,50,63}, packed by hand.
const uint8_t kHandScales[12] = {0x41, 0x82, 0xC3, 0xC4, 0x40, 0x81, 0xC2, 0xC3, 0x41, 0x81, 0x21, 0xFF};
const int kHandSc[8] = {1, 2, 3, 4, 17, 33, 49, 63};
const int kHandMin[8] = {0, 1, 2, 3, 20, 40, 50, 63};
}  // namespace

TEST_CASE("tensor types: dequantize q4_K: 6-bit scale packing and nibble layout", "[tensor_types][dequant]") {
    std::vector<uint8_t> blk(144);
    put_u16(blk, 0, 0x3800);  // d = 0.5
    put_u16(blk, 2, 0x3400);  // dmin = 0.25
    std::memcpy(&blk[4], kHandScales, 12);
    for (int i = 0; i < 128; ++i) blk[16 + i] = 0x21;  // low nibble 1, high nibble 2
    blk[16 + 0] = 0xF0;                                // element 0: q 0; element 32: q 15
    blk[16 + 127] = 0x3C;                              // element 223: q 12; element 255: q 3
    const std::vector<float> y = dequant(TensorType::Q4_K, blk, 256);
    // 0.5 * sc * q - 0.25 * m, with q = 1 in even sub-blocks and 2 in odd ones.
    const float base[8] = {0.5f, 1.75f, 1.0f, 3.25f, 3.5f, 23.0f, 12.0f, 47.25f};
    for (int e = 0; e < 256; ++e) {
        INFO("element " << e);
        float want = base[e / 32];
        if (e == 0) want = 0.0f;
        if (e == 32) want = 14.75f;
        if (e == 223) want = 281.5f;
        if (e == 255) want = 78.75f;
        CHECK(y[e] == want);
    }
}

TEST_CASE("tensor types: dequantize q5_K: qh bit per sub-block", "[tensor_types][dequant]") {
    std::vector<uint8_t> blk(176);
    put_u16(blk, 0, 0x3800);  // d = 0.5
    put_u16(blk, 2, 0x3400);  // dmin = 0.25
    std::memcpy(&blk[4], kHandScales, 12);
    for (int l = 0; l < 32; ++l) blk[16 + l] = static_cast<uint8_t>(1u << (l % 8));  // qh
    for (int i = 0; i < 128; ++i) blk[48 + i] = 0x21;
    const std::vector<float> y = dequant(TensorType::Q5_K, blk, 256);
    // Element 32s + l has its fifth bit set iff l % 8 == s.
    CHECK(y[0] == 0.5f * 1 * 17 - 0.0f);      // sub 0, l 0: q 17
    CHECK(y[1] == 0.5f);                       // sub 0, l 1: q 1
    CHECK(y[32 + 1] == 0.5f * 2 * 18 - 0.25f); // sub 1, l 1: q 18
    CHECK(y[7 * 32 + 7] == 0.5f * 63 * 18 - 15.75f);
    CHECK(y[7 * 32 + 15] == 0.5f * 63 * 18 - 15.75f);
    CHECK(y[7 * 32 + 6] == 47.25f);
    for (int e = 0; e < 256; ++e) {
        INFO("element " << e);
        const int s = e / 32, l = e % 32;
        const int q = (s % 2 ? 2 : 1) + (l % 8 == s ? 16 : 0);
        CHECK(y[e] == 0.5f * static_cast<float>(kHandSc[s] * q) - 0.25f * static_cast<float>(kHandMin[s]));
    }
}

TEST_CASE("tensor types: dequantize q4_K/q5_K: every 6-bit scale and min value", "[tensor_types][dequant]") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> six(0, 63);
    for (int trial = 0; trial < 80; ++trial) {
        int sc[8], mn[8];
        for (int s = 0; s < 8; ++s) {
            // Every value 0..63 in every position over the first 64 trials, then random ones.
            sc[s] = trial < 64 ? (trial + 7 * s) % 64 : six(rng);
            mn[s] = trial < 64 ? (trial + 13 * s + 5) % 64 : six(rng);
        }
        for (TensorType t : {TensorType::Q4_K, TensorType::Q5_K}) {
            const size_t size = t == TensorType::Q4_K ? 144 : 176, qs = t == TensorType::Q4_K ? 16 : 48;
            std::vector<uint8_t> blk(size, 0);
            pack_k4_scales(sc, mn, &blk[4]);
            for (size_t i = qs; i < size; ++i) blk[i] = 0x11;  // q = 1 everywhere (qh zero for q5_K)
            put_u16(blk, 0, 0x3C00);                            // d = 1, dmin = 0: y = scale
            put_u16(blk, 2, 0x0000);
            const std::vector<float> ys = dequant(t, blk, 256);
            put_u16(blk, 0, 0x0000);  // d = 0, dmin = 1: y = -min
            put_u16(blk, 2, 0x3C00);
            const std::vector<float> ym = dequant(t, blk, 256);
            for (int e = 0; e < 256; ++e) {
                INFO("trial " << trial << " element " << e);
                CHECK(ys[e] == static_cast<float>(sc[e / 32]));
                CHECK(ym[e] == -static_cast<float>(mn[e / 32]));
            }
        }
    }
}

TEST_CASE("tensor types: dequantize q6_K: ql/qh layout and signed scales", "[tensor_types][dequant]") {
    std::vector<uint8_t> blk(210);
    // First 128 elements: ql[0..31] = 0x5A, ql[32..63] = 0x3C, qh[0..31] = 0xE4 (fields 0,1,2,3).
    // Last 128: ql[64..127] = 0xA5, qh[32..63] = 0x1B (fields 3,2,1,0).
    for (int i = 0; i < 32; ++i) blk[i] = 0x5A;
    for (int i = 32; i < 64; ++i) blk[i] = 0x3C;
    for (int i = 64; i < 128; ++i) blk[i] = 0xA5;
    for (int i = 0; i < 32; ++i) blk[128 + i] = 0xE4;
    for (int i = 32; i < 64; ++i) blk[128 + i] = 0x1B;
    const int sc[16] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8};
    for (int s = 0; s < 16; ++s) blk[192 + s] = static_cast<uint8_t>(static_cast<int8_t>(sc[s]));
    put_u16(blk, 208, 0x3800);  // d = 0.5
    const std::vector<float> y = dequant(TensorType::Q6_K, blk, 256);
    // Codes minus 32 for each group of 32 elements, worked out by hand:
    //   group 0: 0xA | 0<<4 = 10; group 1: 0xC | 1<<4 = 28; group 2: 0x5 | 2<<4 = 37;
    //   group 3: 0x3 | 3<<4 = 51; group 4: 0x5 | 3<<4 = 53; group 5: 0x5 | 2<<4 = 37;
    //   group 6: 0xA | 1<<4 = 26; group 7: 0xA | 0<<4 = 10.
    const int qv[8] = {-22, -4, 5, 19, 21, 5, -6, -22};
    CHECK(y[0] == -11.0f);
    CHECK(y[16] == 11.0f);
    CHECK(y[32] == -4.0f);
    CHECK(y[64] == 7.5f);
    CHECK(y[96] == 38.0f);
    CHECK(y[128] == 52.5f);
    CHECK(y[255] == 88.0f);
    for (int e = 0; e < 256; ++e) {
        INFO("element " << e);
        CHECK(y[e] == 0.5f * static_cast<float>(sc[e / 16] * qv[e / 32]));
    }
}

// ---------------------------------------------------------------------------------------------
// Random rows through the reference quantizers
// ---------------------------------------------------------------------------------------------

TEST_CASE("tensor types: dequantize: random rows quantized by the reference encoders", "[tensor_types][dequant]") {
    std::mt19937 rng(12345);
    for (int trial = 0; trial < 4; ++trial) {
        INFO("trial " << trial);
        {
            for (TensorType t : {TensorType::Q4_0, TensorType::Q5_0, TensorType::Q8_0}) {
                INFO(lh::tensor_type_name(static_cast<uint32_t>(t)));
                const std::vector<float> x = random_row(rng, 32 * 7, 32);
                check_quantized(t, x, quantize_symmetric(t, x));
            }
            for (TensorType t : {TensorType::Q4_1, TensorType::Q5_1}) {
                INFO(lh::tensor_type_name(static_cast<uint32_t>(t)));
                const std::vector<float> x = random_row(rng, 32 * 7, 32);
                check_quantized(t, x, quantize_offset(t, x));
            }
            for (TensorType t : {TensorType::Q4_K, TensorType::Q5_K}) {
                INFO(lh::tensor_type_name(static_cast<uint32_t>(t)));
                const std::vector<float> x = random_row(rng, 256 * 3, 32);
                check_quantized(t, x, quantize_k4(t, x));
            }
            {
                INFO("q6_K");
                const std::vector<float> x = random_row(rng, 256 * 3, 16);
                check_quantized(TensorType::Q6_K, x, quantize_q6_K(x));
            }
        }
    }
}

TEST_CASE("tensor types: dequantize: all-zero blocks give zeros", "[tensor_types][dequant]") {
    for (uint32_t id : {0u, 1u, 2u, 3u, 6u, 7u, 8u, 10u, 11u, 12u, 13u, 14u, 20u, 23u, 30u}) {
        const TensorType t = static_cast<TensorType>(id);
        const int64_t n = lh::tensor_type_traits(id)->block_elems == 1 ? 64 : 512;
        const std::vector<uint8_t> bytes(lh::tensor_row_bytes(t, n), 0);
        const std::vector<float> y = dequant(t, bytes, n);
        int nonzero = 0;
        for (float v : y) nonzero += v != 0.0f;
        INFO(lh::tensor_type_name(id));
        CHECK(nonzero == 0);
    }
}

TEST_CASE("tensor types: dequantize: rows at unaligned addresses", "[tensor_types][dequant]") {
    std::mt19937 rng(99);
    const std::vector<float> x = random_row(rng, 512, 32);
    const Quantized q = quantize_k4(TensorType::Q4_K, x);
    std::vector<uint8_t> shifted(q.bytes.size() + 1);
    std::memcpy(shifted.data() + 1, q.bytes.data(), q.bytes.size());
    std::vector<float> y(512), z(512);
    lh::dequantize_row(TensorType::Q4_K, shifted.data() + 1, y.data(), 512);
    lh::dequantize_row(TensorType::Q4_K, q.bytes.data(), z.data(), 512);
    CHECK(std::memcmp(y.data(), z.data(), 512 * sizeof(float)) == 0);
}

TEST_CASE("tensor types: dequantize: unsupported types throw LH_ERROR_UNSUPPORTED", "[tensor_types][dequant]") {
    std::vector<uint8_t> bytes(1024, 0);
    std::vector<float> out(256);
    for (uint32_t id : {9u, 15u, 16u, 17u, 21u, 24u, 28u, 39u, 999u}) {
        INFO("type " << id);
        bool threw = false;
        try {
            lh::dequantize_row(static_cast<TensorType>(id), bytes.data(), out.data(), 256);
        } catch (const lh::Error &e) {
            threw = true;
            CHECK(e.status() == LH_ERROR_UNSUPPORTED);
            CHECK(std::string(e.what()).find(lh::tensor_type_name(id)) != std::string::npos);
        }
        CHECK(threw);
    }
}
