// Quantized weights kept quantized: the u8-block conversion must reproduce ggml's dequantized
// values for every supported type, and the products (int8 decode kernel, bf16 prefill slices)
// must agree with a double-precision product of those values.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "numeric/tensor_types.h"
#include "ops/matmul.h"
#include "ops/qblocks.h"

using namespace lh;

namespace {

// Random bytes for `rows` rows of `type`, with every f16 scale field replaced by a modest value
// (random bits would give infinities and NaNs, which no real file holds).
std::vector<uint8_t> random_rows(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
    const TensorTypeTraits *tr = tensor_type_traits(static_cast<uint32_t>(type));
    const size_t row_bytes = tensor_row_bytes(type, cols);
    std::vector<uint8_t> bytes(row_bytes * static_cast<size_t>(rows));
    std::mt19937 rng(seed);
    for (uint8_t &b : bytes) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    auto put_half = [&](uint8_t *p, float v) {
        const uint16_t h = float_to_half(v);
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
                put_half(blk, scale(rng));
                break;
            case TensorType::Q4_1:
            case TensorType::Q5_1:
            case TensorType::Q4_K:
            case TensorType::Q5_K:
                put_half(blk, scale(rng));
                put_half(blk + 2, (type == TensorType::Q4_1 || type == TensorType::Q5_1) ? -8 * scale(rng) : scale(rng));
                break;
            default:
                break;
        }
    }
    return bytes;
}

struct Converted {
    int bits = 8;
    std::vector<uint8_t> u;  // packed rows
    std::vector<float> scale, offset;
    WeightMatrix matrix(int64_t rows, int64_t cols) const {
        WeightMatrix w;
        w.rows = rows;
        w.cols = cols;
        w.type = WeightType::U8_BLOCKS;
        w.data = u.data();
        w.block_scale = scale.data();
        w.block_offset = offset.data();
        w.block_bits = bits;
        return w;
    }
};

Converted convert(TensorType type, const std::vector<uint8_t> &bytes, int64_t rows, int64_t cols) {
    Converted c;
    c.bits = qblocks::bits_for(type);
    const int64_t nb = cols / qblocks::kBlock, row_u = qblocks::row_bytes_for(cols, c.bits);
    std::vector<uint8_t> tmp(static_cast<size_t>(cols));
    c.u.resize(static_cast<size_t>(rows * row_u));
    c.scale.resize(static_cast<size_t>(rows * nb));
    c.offset.resize(static_cast<size_t>(rows * nb));
    const size_t row_bytes = tensor_row_bytes(type, cols);
    for (int64_t r = 0; r < rows; ++r) {
        qblocks::convert_row(type, bytes.data() + r * row_bytes, cols, tmp.data(), c.scale.data() + r * nb,
                             c.offset.data() + r * nb);
        qblocks::pack_row(tmp.data(), cols, c.bits, c.u.data() + r * row_u);
    }
    return c;
}

const TensorType kTypes[] = {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q5_0, TensorType::Q4_1,
                             TensorType::Q5_1, TensorType::Q4_K, TensorType::Q5_K};

}  // namespace

TEST_CASE("u8 blocks hold exactly the values ggml's dequantizers give", "[qblocks]") {
    const int64_t rows = 3;
    for (TensorType type : kTypes)
    for (int64_t cols : {512, 544}) {  // 16 and 17 blocks (an odd count packs the last 4-bit block alone)
        if (cols % 256 != 0 && (type == TensorType::Q4_K || type == TensorType::Q5_K)) continue;
        INFO(tensor_type_name(static_cast<uint32_t>(type)) << ", " << cols << " columns");
        REQUIRE(qblocks::supports(type));
        const std::vector<uint8_t> bytes = random_rows(type, rows, cols, 7);
        const Converted c = convert(type, bytes, rows, cols);
        std::vector<float> expect(static_cast<size_t>(cols));
        std::vector<uint16_t> bf(static_cast<size_t>(rows * cols));
        qblocks::rows_to_bf16(c.u.data(), c.bits, c.scale.data(), c.offset.data(), cols, 0, rows, bf.data());
        for (int64_t r = 0; r < rows; ++r) {
            dequantize_row(type, bytes.data() + r * tensor_row_bytes(type, cols), expect.data(), cols);
            double worst = 0;
            uint8_t e[32];
            for (int64_t k = 0; k < cols; ++k) {
                const int64_t b = k / 32;
                qblocks::unpack_block(c.u.data() + r * qblocks::row_bytes_for(cols, c.bits), b, cols / 32, c.bits, e);
                const float got = c.scale[size_t(r * (cols / 32) + b)] * float(e[k % 32]) +
                                  c.offset[size_t(r * (cols / 32) + b)];
                worst = std::max(worst, std::fabs(double(got) - expect[size_t(k)]));
                // The bf16 expansion is the dequantized value rounded once.
                CHECK(std::fabs(bf16_to_float(bf[size_t(r * cols + k)]) - expect[size_t(k)]) <=
                      std::fabs(expect[size_t(k)]) * (1.0f / 128) + 1e-6f);
            }
            // Same formula as ggml up to float rounding of s*u + c against d*q (and d*q - m).
            CHECK(worst < 1e-5);
        }
    }
    CHECK_FALSE(qblocks::supports(TensorType::Q6_K));
    CHECK_FALSE(qblocks::supports(TensorType::F16));
}

TEST_CASE("u8-block products match a double-precision product of the dequantized weights", "[qblocks]") {
    MatmulCache cache(2);
    // 40 blocks per row: the VNNI kernel's 16-block loop plus an 8-block tail.
    const int64_t cols = 1280, rows = 70;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (TensorType type : {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_1, TensorType::Q4_K, TensorType::Q5_K}) {
        INFO(tensor_type_name(static_cast<uint32_t>(type)));
        // K-quants need a multiple of 256; q4_1 gets an odd block count (39), whose last 4-bit
        // block is packed alone.
        const int64_t kcols = (type == TensorType::Q4_K || type == TensorType::Q5_K) ? 1280
                              : type == TensorType::Q4_1                            ? 1248
                                                                                    : cols;
        const std::vector<uint8_t> bytes = random_rows(type, rows, kcols, 11);
        const Converted c = convert(type, bytes, rows, kcols);
        std::vector<float> wf(static_cast<size_t>(rows * kcols));
        for (int64_t r = 0; r < rows; ++r) {
            dequantize_row(type, bytes.data() + r * tensor_row_bytes(type, kcols), wf.data() + r * kcols, kcols);
        }
        // the int8 kernel up to t rows (8-128 by level), expanded slices above
        const int64_t t = cache.direct_rows_quantized();
        for (int64_t m : {int64_t(1), int64_t(3), t, t + 1}) {
            INFO("m = " << m);
            std::vector<float> x(static_cast<size_t>(m * kcols));
            for (float &v : x) v = dist(rng);
            std::vector<float> y(static_cast<size_t>(m * rows), NAN);
            cache.run(x.data(), m, c.matrix(rows, kcols), y.data());
            for (int64_t i = 0; i < m; ++i) {
                const float *xi = x.data() + i * kcols;
                for (int64_t r = 0; r < rows; ++r) {
                    const float *wr = wf.data() + r * kcols;
                    // Worst-case rounding of the activations: half an int8 step of each block's
                    // max (int8 kernel), or a bf16 rounding of x and of w (bf16 slices).
                    double ref = 0, bound = 1e-4;
                    for (int64_t k = 0; k < kcols; ++k) {
                        ref += double(xi[k]) * wr[k];
                        double amax = 0;
                        for (int64_t j = k / 32 * 32; j < k / 32 * 32 + 32; ++j) amax = std::max(amax, std::fabs(double(xi[j])));
                        bound += std::max(amax / 254.0, std::fabs(double(xi[k])) / 128.0) * std::fabs(double(wr[k]));
                    }
                    REQUIRE(std::isfinite(y[size_t(i * rows + r)]));
                    CHECK(std::fabs(y[size_t(i * rows + r)] - ref) <= bound);
                }
            }
        }
    }
}

TEST_CASE("activation quantization is ggml's q8_0 rounding and survives non-finite input", "[qblocks]") {
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[size_t(i)] = float(i - 20) * 0.25f;
    x[40] = NAN;
    x[41] = INFINITY;
    std::vector<int8_t> q(64);
    std::vector<float> d(2), ds(2);
    qblocks::QuantizedActivations a{64, q.data(), d.data(), ds.data()};
    qblocks::quantize_activations(x.data(), 64, a);
    // First block: max |x| = 20 * 0.25 = 5, d = 5/127; element 0 (-5) maps to -127.
    CHECK(d[0] == Approx(5.0f / 127.0f));
    CHECK(q[0] == -127);
    CHECK(q[20] == 0);
    int sum = 0;
    for (int i = 0; i < 32; ++i) sum += q[size_t(i)];
    CHECK(ds[0] == Approx(d[0] * float(sum)));
    for (int i = 32; i < 64; ++i) CHECK(std::abs(int(q[size_t(i)])) <= 127);
}

TEST_CASE("a group of u8-block products equals the products one by one", "[qblocks]") {
    MatmulCache cache(2);
    const int64_t cols = 512;
    const int64_t rows[3] = {96, 40, 8};  // Q, K, V-like: uneven row counts
    const TensorType types[3] = {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K};
    std::vector<Converted> conv;
    std::vector<WeightMatrix> mats;
    for (int i = 0; i < 3; ++i) conv.push_back(convert(types[i], random_rows(types[i], rows[i], cols, 40 + i), rows[i], cols));
    for (int i = 0; i < 3; ++i) mats.push_back(conv[size_t(i)].matrix(rows[i], cols));
    std::mt19937 rng(8);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t m : {1, 4, 12}) {  // 12 rows: not fused, each product on its own
        INFO("m = " << m);
        std::vector<float> x(size_t(m * cols));
        for (float &v : x) v = dist(rng);
        std::vector<std::vector<float>> one(3), group(3);
        const WeightMatrix *ws[3];
        float *ys[3];
        for (int i = 0; i < 3; ++i) {
            one[size_t(i)].assign(size_t(m * rows[i]), NAN);
            group[size_t(i)].assign(size_t(m * rows[i]), NAN);
            cache.run(x.data(), m, mats[size_t(i)], one[size_t(i)].data());
            ws[i] = &mats[size_t(i)];
            ys[i] = group[size_t(i)].data();
        }
        cache.run_group(x.data(), m, ws, ys, 3);
        for (int i = 0; i < 3; ++i) CHECK(group[size_t(i)] == one[size_t(i)]);
    }
}

TEST_CASE("group products give the same bits with any team size: the fixed first runs and the claims cover every row once",
          "[qblocks]") {
    // dot_claim hands each thread a fixed first run of 16-row blocks (MatmulCache::first_claims),
    // then claims the rest from a counter. With 10 blocks here: 2 threads take 2 fixed each and
    // claim 6, 3 take 2 each and claim 4, 5 take all 10 as fixed runs, 7 take one each and claim 3.
    // A row missed stays NaN, a row done twice or by the wrong activations differs.
    const int64_t cols = 512;
    const int64_t rows[3] = {96, 40, 8};
    const TensorType types[3] = {TensorType::Q4_0, TensorType::Q8_0, TensorType::Q4_K};
    std::vector<Converted> conv;
    std::vector<WeightMatrix> mats;
    for (int i = 0; i < 3; ++i) conv.push_back(convert(types[i], random_rows(types[i], rows[i], cols, 70 + i), rows[i], cols));
    for (int i = 0; i < 3; ++i) mats.push_back(conv[size_t(i)].matrix(rows[i], cols));
    const WeightMatrix *ws[3] = {&mats[0], &mats[1], &mats[2]};
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(cols));
    for (float &v : x) v = dist(rng);
    std::vector<std::vector<float>> want(3);
    MatmulCache single(1);
    for (int i = 0; i < 3; ++i) {
        want[size_t(i)].assign(size_t(rows[i]), NAN);
        single.run(x.data(), 1, mats[size_t(i)], want[size_t(i)].data());
    }
    for (int threads : {2, 3, 5, 7}) {
        INFO("threads = " << threads);
        const MatmulCache::FirstClaims c = MatmulCache::first_claims(ws, 3, threads);
        CHECK(c.shared_from == c.each * threads);
        CHECK(c.shared_from <= 10);
        MatmulCache team(threads);
        std::vector<std::vector<float>> got(3);
        float *ys[3];
        for (int i = 0; i < 3; ++i) {
            got[size_t(i)].assign(size_t(rows[i]), NAN);
            ys[i] = got[size_t(i)].data();
        }
        team.run_group(x.data(), 1, ws, ys, 3);
        for (int i = 0; i < 3; ++i) CHECK(got[size_t(i)] == want[size_t(i)]);
    }
}
