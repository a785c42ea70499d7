// Row-wise kernels of the forward pass against scalar double-precision references.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "ops/ops.h"

using namespace lh;

namespace {

std::vector<float> randoms(size_t n, uint32_t seed, float scale = 2.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float &x : v) x = dist(rng);
    return v;
}

}  // namespace

TEST_CASE("rms_norm matches the scalar definition", "[ops]") {
    for (int64_t n : {1, 7, 64, 172, 4096}) {
        const std::vector<float> x = randoms(size_t(n), uint32_t(n));
        const std::vector<float> w = randoms(size_t(n), uint32_t(n + 1));
        std::vector<float> y(static_cast<size_t>(n)), y_nw(static_cast<size_t>(n));
        ops::rms_norm(x.data(), w.data(), y.data(), n, 1e-5f);
        ops::rms_norm(x.data(), nullptr, y_nw.data(), n, 1e-5f);
        double ss = 0;
        for (float v : x) ss += double(v) * v;
        const double scale = 1.0 / std::sqrt(ss / double(n) + 1e-5);
        for (int64_t i = 0; i < n; ++i) {
            CHECK(y[size_t(i)] == Approx(x[size_t(i)] * scale * w[size_t(i)]).epsilon(1e-5).margin(1e-6));
            CHECK(y_nw[size_t(i)] == Approx(x[size_t(i)] * scale).epsilon(1e-5).margin(1e-6));
        }
    }
}

TEST_CASE("rms_norm works in place and row by row", "[ops]") {
    const int64_t n = 33, rows = 5;
    std::vector<float> x = randoms(size_t(n * rows), 3);
    const std::vector<float> w = randoms(size_t(n), 4);
    std::vector<float> expect(x.size());
    for (int64_t r = 0; r < rows; ++r) ops::rms_norm(x.data() + r * n, w.data(), expect.data() + r * n, n, 1e-6f);
    ops::rms_norm_rows(x.data(), w.data(), x.data(), rows, n, 1e-6f);
    CHECK(x == expect);
}

TEST_CASE("rms_norm of zeros is zero (eps keeps it finite)", "[ops]") {
    std::vector<float> x(16, 0.0f), y(16, 1.0f);
    ops::rms_norm(x.data(), nullptr, y.data(), 16, 1e-5f);
    for (float v : y) CHECK(v == 0.0f);
}

TEST_CASE("softmax matches the scalar definition and survives large inputs", "[ops]") {
    for (int64_t n : {1, 2, 9, 512}) {
        std::vector<float> x = randoms(size_t(n), uint32_t(7 * n), 20.0f);
        std::vector<double> ref(static_cast<size_t>(n));
        double mx = -1e300, sum = 0;
        for (float v : x) mx = std::max(mx, double(v));
        for (int64_t i = 0; i < n; ++i) sum += (ref[size_t(i)] = std::exp(double(x[size_t(i)]) - mx));
        ops::softmax(x.data(), n);
        double total = 0;
        for (int64_t i = 0; i < n; ++i) {
            CHECK(x[size_t(i)] == Approx(ref[size_t(i)] / sum).epsilon(1e-5).margin(1e-7));
            total += x[size_t(i)];
        }
        CHECK(total == Approx(1.0).epsilon(1e-5));
    }
    std::vector<float> big{1000.0f, 999.0f, -1000.0f};
    ops::softmax(big.data(), 3);
    CHECK(std::isfinite(big[0]));
    CHECK(big[0] == Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-5));
    CHECK(big[2] == 0.0f);
}

TEST_CASE("silu and swiglu match the scalar definition", "[ops]") {
    const int64_t n = 300;
    const std::vector<float> g = randoms(size_t(n), 11, 8.0f);
    const std::vector<float> u = randoms(size_t(n), 12, 3.0f);
    std::vector<float> s = g, out(static_cast<size_t>(n));
    ops::silu(s.data(), n);
    ops::swiglu(g.data(), u.data(), out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
        const double gi = g[size_t(i)];
        const double silu = gi / (1.0 + std::exp(-gi));
        CHECK(s[size_t(i)] == Approx(silu).epsilon(1e-5).margin(1e-6));
        CHECK(out[size_t(i)] == Approx(silu * u[size_t(i)]).epsilon(1e-5).margin(1e-6));
    }
    std::vector<float> alias = g;
    ops::swiglu(alias.data(), u.data(), alias.data(), n);
    CHECK(alias == out);
}

TEST_CASE("add and to_bf16", "[ops]") {
    std::vector<float> y{1, 2, 3}, x{0.5f, -2, 10};
    ops::add(y.data(), x.data(), 3);
    CHECK(y == std::vector<float>{1.5f, 0, 13});
    std::vector<float> f{1.0f, -2.5f, 1.0f + 1.0f / 256.0f};
    std::vector<uint16_t> b(3);
    ops::to_bf16(f.data(), b.data(), 3);
    CHECK(b[0] == 0x3f80);
    CHECK(b[1] == 0xc020);
    CHECK(b[2] == 0x3f80);  // 1 + 2^-8 is a tie: rounds to even
}
