// oneDNN matmul wrapper against a naive double-precision loop.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "numeric/tensor_types.h"
#include "ops/matmul.h"

using namespace lh;

namespace {

std::vector<float> randoms(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float &x : v) x = dist(rng);
    return v;
}

// y[m][n] = sum_k x[m][k] * w[n][k]
std::vector<double> naive(const std::vector<float> &x, const std::vector<float> &w, int64_t M, int64_t K, int64_t N) {
    std::vector<double> y(size_t(M * N));
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s = 0;
            for (int64_t k = 0; k < K; ++k) s += double(x[size_t(m * K + k)]) * w[size_t(n * K + k)];
            y[size_t(m * N + n)] = s;
        }
    return y;
}

struct Shape {
    int64_t M, K, N;
};

const Shape kShapes[] = {{1, 64, 172}, {1, 1, 1}, {5, 64, 64}, {7, 172, 64}, {33, 100, 37}, {1, 512, 300}, {64, 256, 512}};

}  // namespace

TEST_CASE("f32 matmul matches a naive loop", "[matmul]") {
    MatmulCache mm(2);
    for (const Shape &s : kShapes) {
        const std::vector<float> x = randoms(size_t(s.M * s.K), uint32_t(s.K));
        const std::vector<float> w = randoms(size_t(s.N * s.K), uint32_t(s.N + 1000));
        std::vector<float> y(size_t(s.M * s.N), -1.0f);
        mm.run(x.data(), s.M, WeightMatrix{s.N, s.K, WeightType::F32, w.data()}, y.data());
        const std::vector<double> ref = naive(x, w, s.M, s.K, s.N);
        double max_diff = 0;
        for (size_t i = 0; i < y.size(); ++i) max_diff = std::max(max_diff, std::fabs(y[i] - ref[i]));
        INFO("shape " << s.M << "x" << s.K << "x" << s.N);
        CHECK(max_diff <= 1e-5 * std::sqrt(double(s.K)));
    }
}

TEST_CASE("bf16 matmul stays within bf16 rounding of the f32 product", "[matmul]") {
    MatmulCache mm(2);
    for (const Shape &s : kShapes) {
        const std::vector<float> x = randoms(size_t(s.M * s.K), uint32_t(s.K + 7));
        const std::vector<float> w = randoms(size_t(s.N * s.K), uint32_t(s.N + 77));
        std::vector<uint16_t> wb(w.size());
        std::vector<float> wr(w.size()), xr(x.size());
        for (size_t i = 0; i < w.size(); ++i) wr[i] = bf16_to_float(wb[i] = float_to_bf16(w[i]));
        for (size_t i = 0; i < x.size(); ++i) xr[i] = bf16_to_float(float_to_bf16(x[i]));
        std::vector<float> y(size_t(s.M * s.N));
        const WeightMatrix wm{s.N, s.K, WeightType::BF16, wb.data()};
        mm.run(x.data(), s.M, wm, y.data());
        // Against the product of the rounded inputs: only f32 accumulation error remains. Where
        // the product does not read bf16 (no oneDNN bf16 product, or f32 rows and slices on a CPU
        // without BF16 instructions), x stays f32 against the bf16 weights.
        const std::vector<double> rounded = naive(mm.bf16_input(s.M, wm) ? xr : x, wr, s.M, s.K, s.N);
        // Against the exact f32 inputs: bf16 rounding (relative 2^-9 per factor).
        const std::vector<double> exact = naive(x, w, s.M, s.K, s.N);
        double d_rounded = 0, d_exact = 0;
        for (size_t i = 0; i < y.size(); ++i) {
            d_rounded = std::max(d_rounded, std::fabs(y[i] - rounded[i]));
            d_exact = std::max(d_exact, std::fabs(y[i] - exact[i]));
        }
        INFO("shape " << s.M << "x" << s.K << "x" << s.N << ": max diff " << d_rounded << " / " << d_exact);
        CHECK(d_rounded <= 1e-5 * std::sqrt(double(s.K)));
        CHECK(d_exact <= 8e-3 * std::sqrt(double(s.K)));
    }
}

TEST_CASE("matmul primitives are made once per shape class and reused", "[matmul]") {
    MatmulCache mm(1);
    const std::vector<float> w = randoms(64 * 32, 1), x = randoms(8 * 32, 2);
    std::vector<uint16_t> wb(w.size());
    for (size_t i = 0; i < w.size(); ++i) wb[i] = float_to_bf16(w[i]);
    const WeightMatrix wf{64, 32, WeightType::F32, w.data()};
    const WeightMatrix wh{64, 32, WeightType::BF16, wb.data()};
    std::vector<float> y(8 * 64);
    CHECK(mm.n_primitives() == 0);
    mm.prepare(1, wf);
    CHECK(mm.n_primitives() == 1);
    for (int i = 0; i < 3; ++i) mm.run(x.data(), 1, wf, y.data());
    CHECK(mm.n_primitives() == 1);
    mm.run(x.data(), 8, wf, y.data());
    mm.run(x.data(), 8, wf, y.data());
    CHECK(mm.n_primitives() == 2);
    mm.run(x.data(), 8, wh, y.data());
    // Where the product does not read bf16, 8 rows of bf16 weights take the f32 dot-product kernel.
    const size_t with_bf16 = mm.bf16_input(8, wh) ? 3 : 2;
    CHECK(mm.n_primitives() == with_bf16);
    // Another matrix with the same shape shares the primitive.
    const std::vector<float> w2 = randoms(64 * 32, 3);
    mm.run(x.data(), 8, WeightMatrix{64, 32, WeightType::F32, w2.data()}, y.data());
    CHECK(mm.n_primitives() == with_bf16);
    const std::vector<double> ref = naive(x, w2, 8, 32, 64);
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(ref[i]).margin(1e-5));
}

TEST_CASE("a matmul cache can move between threads", "[matmul]") {
    MatmulCache mm(2);
    const std::vector<float> w = randoms(200 * 300, 5), x = randoms(16 * 300, 6);
    const WeightMatrix wf{200, 300, WeightType::F32, w.data()};
    std::vector<float> y1(16 * 200), y2(16 * 200);
    mm.run(x.data(), 16, wf, y1.data());
    std::thread t([&] { mm.run(x.data(), 16, wf, y2.data()); });
    t.join();
    CHECK(y1 == y2);
}
