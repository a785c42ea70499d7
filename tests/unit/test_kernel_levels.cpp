// Every instruction-set level of the hand-written kernels that runs on this machine against the
// generic (plain C++) level: attention scores/values/softmax pieces, u8-block and bf16 products,
// f16 conversion. Under `qemu-x86_64 -cpu Haswell` only generic and avx2 run; natively on an
// AVX512-BF16 machine all four.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "attention/kernels.h"
#include "cpu/isa.h"
#include "numeric/numeric_kernels.h"
#include "numeric/tensor_types.h"
#include "ops/ops_kernels.h"
#include "ops/qblocks.h"
#include "ops/qpacked.h"

using namespace lh;
using cpu::Isa;

namespace {

std::vector<Isa> levels_above_generic() {
    std::vector<Isa> out;
    for (int32_t i = 1; i < cpu::kIsaCount; ++i)
        if (cpu::isa_runs_here(static_cast<Isa>(i))) out.push_back(static_cast<Isa>(i));
    return out;
}

std::vector<float> randoms(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float &x : v) x = dist(rng);
    return v;
}

// A cache of n tokens of head size d in element type T: key tiles and value rows as the KV cache
// lays them out (attention/tile_layout.inl), with |element| values kept for error bounds.
template <class T> struct Cache {
    std::vector<T> keys, values;
    std::vector<float> key_abs;  // [n][d] |key value|, scale applied
};

// One row of activations quantized per 32: the int8 values, then the scales and their sums.
struct Quantized32 {
    std::vector<int8_t> q;
    std::vector<float> d;
    qblocks::QuantizedActivations a;
    explicit Quantized32(int64_t cols)
        : q(static_cast<size_t>(cols)), d(static_cast<size_t>(2 * (cols / qblocks::kBlock))),
          a{cols, q.data(), d.data(), d.data() + cols / qblocks::kBlock} {}
};

template <class T> void put_scale(T *p, float s) { std::memcpy(p, &s, sizeof s); }

template <class T> Cache<T> make_cache(int32_t d, int64_t n, uint32_t seed) {
    const int64_t re = attn::row_elems<T>(d);
    const int64_t tiles = (n + attn::kTile - 1) / attn::kTile;
    Cache<T> c;
    c.keys.assign(static_cast<size_t>(tiles * attn::kTile * re), T{});
    c.values.assign(static_cast<size_t>(n * re), T{});
    c.key_abs.assign(static_cast<size_t>(n * d), 0.0f);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f), pos(0.002f, 0.02f);
    auto element = [&]() -> T {
        if constexpr (std::is_same<T, float>::value) return unit(rng);
        else if constexpr (std::is_same<T, uint16_t>::value) return float_to_bf16(unit(rng));
        else return static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    };
    for (int64_t t = 0; t < tiles * attn::kTile; ++t)
        for (int32_t x = 0; x < d; ++x) c.keys[static_cast<size_t>(attn::tile_offset<T>(t, x, d))] = element();
    for (int64_t v = 0; v < n * re; ++v) c.values[static_cast<size_t>(v)] = element();
    if constexpr (std::is_same<T, int8_t>::value) {
        for (int64_t tile = 0; tile < tiles; ++tile)
            for (int32_t j = 0; j < attn::kTile; ++j)
                put_scale(c.keys.data() + tile * attn::kTile * re + attn::kTile * d + 4 * j, pos(rng));
        for (int64_t t = 0; t < n; ++t) put_scale(c.values.data() + t * re + d, pos(rng));
    }
    for (int64_t t = 0; t < n; ++t)
        for (int32_t x = 0; x < d; ++x)
            c.key_abs[static_cast<size_t>(t * d + x)] = std::fabs(attn::key_value(c.keys.data(), t, x, d));
    return c;
}

constexpr float kSentinel = 12345.0f;

template <class T> void compare_tile_scores(Isa isa, const attn::AttnKernels &lv, const attn::AttnKernels &ref) {
    const int64_t n = 83;
    for (int32_t d : {8, 16, 24, 64, 128}) {
        const Cache<T> c = make_cache<T>(d, n, static_cast<uint32_t>(d));
        for (int32_t G : {1, 2, 3, 4, 5, 8, 9}) {
            const std::vector<float> q = randoms(static_cast<size_t>(G * d), static_cast<uint32_t>(G + 100 * d));
            for (auto ab : {std::pair<int64_t, int64_t>{0, n}, {3, 77}, {17, 18}, {16, 32}, {40, 83}}) {
                const int64_t len = ab.second - ab.first, stride = len + 5;
                // kTile slack before and after, and between rows, must stay untouched.
                const size_t total = static_cast<size_t>(2 * attn::kTile + G * stride);
                std::vector<float> got(total, kSentinel), want(total, kSentinel);
                attn::typed<T>(lv).tile_scores(c.keys.data(), d, ab.first, ab.second, q.data(), G,
                                               got.data() + attn::kTile, stride);
                attn::typed<T>(ref).tile_scores(c.keys.data(), d, ab.first, ab.second, q.data(), G,
                                                want.data() + attn::kTile, stride);
                // bf16 dot products round the queries to bf16 (relative 2^-8 per product).
                const bool bf16_dot = isa == Isa::Avx512Bf16 && std::is_same<T, uint16_t>::value;
                const double rel = bf16_dot ? 1.0 / 256 : 1e-5;
                for (size_t i = 0; i < total; ++i) {
                    const int64_t k = static_cast<int64_t>(i) - attn::kTile;
                    const int64_t g = k / stride, j = k - g * stride;
                    if (k < 0 || g >= G || j >= len) {
                        REQUIRE(got[i] == kSentinel);
                        continue;
                    }
                    double bound = 0;
                    for (int32_t x = 0; x < d; ++x)
                        bound += std::fabs(q[static_cast<size_t>(g * d + x)]) *
                                 c.key_abs[static_cast<size_t>((ab.first + j) * d + x)];
                    INFO(cpu::isa_name(isa) << " d " << d << " G " << G << " [" << ab.first << "," << ab.second
                                            << ") row " << g << " col " << j);
                    REQUIRE(std::fabs(got[i] - want[i]) <= rel * bound + 1e-6);
                }
            }
        }
    }
}

template <class T> void compare_values(Isa isa, const attn::AttnKernels &lv, const attn::AttnKernels &ref) {
    const int64_t n = 70;
    for (int32_t d : {8, 16, 24, 64, 72, 128}) {
        const Cache<T> c = make_cache<T>(d, n, static_cast<uint32_t>(7 * d));
        for (int32_t G : {1, 2, 3, 5}) {
            const int64_t stride = 80;
            const std::vector<float> p = randoms(static_cast<size_t>(G * stride), static_cast<uint32_t>(G), 0.0f, 1.0f);
            const std::vector<float> o0 = randoms(static_cast<size_t>(G * d), static_cast<uint32_t>(G + d));
            for (auto an : {std::pair<int64_t, int32_t>{0, 70}, {5, 1}, {9, 33}}) {
                std::vector<float> got = o0, want = o0;
                attn::typed<T>(lv).accumulate_values(c.values.data(), d, an.first, an.second, p.data(), stride, G,
                                                     got.data());
                attn::typed<T>(ref).accumulate_values(c.values.data(), d, an.first, an.second, p.data(), stride, G,
                                                      want.data());
                INFO(cpu::isa_name(isa) << " d " << d << " G " << G << " a " << an.first << " n " << an.second);
                for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(want[i]).margin(1e-4));
            }
            std::vector<float> got = o0, want = o0;
            attn::typed<T>(lv).axpy(0.37f, c.values.data() + 3 * attn::row_elems<T>(d), got.data(), d);
            attn::typed<T>(ref).axpy(0.37f, c.values.data() + 3 * attn::row_elems<T>(d), want.data(), d);
            for (int32_t x = 0; x < d; ++x) REQUIRE(got[static_cast<size_t>(x)] == Approx(want[static_cast<size_t>(x)]).margin(1e-5));
        }
    }
}

// u8-block matrices with random block factors, and quantized activation rows.
struct U8Matrix {
    int64_t rows, cols;
    int bits;
    std::vector<uint8_t> u;
    std::vector<float> scale, offset;
};

U8Matrix make_u8(int64_t rows, int64_t cols, int bits, bool q8_0_offsets, uint32_t seed) {
    U8Matrix m{rows, cols, bits, {}, {}, {}};
    const int64_t nb = cols / qblocks::kBlock;
    std::mt19937 rng(seed);
    std::vector<uint8_t> plain(static_cast<size_t>(cols));
    m.u.resize(static_cast<size_t>(rows * qblocks::row_bytes_for(cols, bits)));
    for (int64_t r = 0; r < rows; ++r) {
        for (uint8_t &e : plain) e = static_cast<uint8_t>(bits == 4 ? rng() % 16 : rng() % 256);
        qblocks::pack_row(plain.data(), cols, bits, m.u.data() + r * qblocks::row_bytes_for(cols, bits));
    }
    std::uniform_real_distribution<float> s(0.001f, 0.05f), c(-0.5f, 0.5f);
    for (int64_t b = 0; b < rows * nb; ++b) {
        m.scale.push_back(s(rng));
        m.offset.push_back(q8_0_offsets ? -128.0f * m.scale.back() : c(rng));
    }
    return m;
}

// Sum of the magnitudes of the terms of one row's product (what float rounding scales with),
// including the 128 * s * sum(q) a shifted 8-bit product adds and removes.
double dot_magnitude(const U8Matrix &m, int64_t row, const qblocks::QuantizedActivations &a) {
    const int64_t nb = m.cols / qblocks::kBlock;
    const uint8_t *ur = m.u.data() + row * qblocks::row_bytes_for(m.cols, m.bits);
    double mag = 0;
    uint8_t e[qblocks::kBlock];
    for (int64_t b = 0; b < nb; ++b) {
        qblocks::unpack_block(ur, b, nb, m.bits, e);
        double uq = 0, q = 0;
        for (int j = 0; j < qblocks::kBlock; ++j) {
            uq += std::fabs(double(e[j]) * a.q[qblocks::kBlock * b + j]);
            q += std::fabs(double(a.q[qblocks::kBlock * b + j]));
        }
        const double s = m.scale[static_cast<size_t>(row * nb + b)], c = m.offset[static_cast<size_t>(row * nb + b)];
        mag += a.d[b] * (s * uq + (std::fabs(c) + 128.0 * s) * q);
    }
    return mag;
}

}  // namespace

TEST_CASE("the active level is the detected one unless LONGHEADS_CPU names a lower one", "[levels]") {
    const Isa detected = cpu::detected_isa(), active = cpu::active_isa();
    CHECK(static_cast<int32_t>(active) <= static_cast<int32_t>(detected));
    CHECK(cpu::isa_forced() == (active != detected));
    CHECK(cpu::isa_runs_here(Isa::Generic));
    for (int32_t i = 0; i < cpu::kIsaCount; ++i) {
        Isa parsed = Isa::Generic;
        REQUIRE(cpu::parse_isa(cpu::isa_name(static_cast<Isa>(i)), &parsed));
        CHECK(parsed == static_cast<Isa>(i));
        const bool runs = cpu::isa_runs_here(static_cast<Isa>(i));
        CHECK((attn::kernels_for(static_cast<Isa>(i)) != nullptr) == runs);
        CHECK((ops::kernels_for(static_cast<Isa>(i)) != nullptr) == runs);
        CHECK((numeric::kernels_for(static_cast<Isa>(i)) != nullptr) == runs);
    }
    Isa unused = Isa::Generic;
    CHECK_FALSE(cpu::parse_isa("avx1024", &unused));
    CHECK_FALSE(cpu::parse_isa(nullptr, &unused));
    CHECK(&attn::kernels() == attn::kernels_for(active));
    CHECK(&ops::kernels() == ops::kernels_for(active));
    WARN("detected " << cpu::isa_name(detected) << ", active " << cpu::isa_name(active));
    // Set by the qemu tests (tests/isa/isa.cmake): the level the emulated CPU must get.
    if (const char *want = std::getenv("LONGHEADS_EXPECT_CPU_LEVEL")) CHECK(std::string(cpu::isa_name(active)) == want);
}

TEST_CASE("attention kernels of every level agree with the generic ones", "[levels][attention]") {
    const attn::AttnKernels &ref = *attn::kernels_for(Isa::Generic);
    for (Isa isa : levels_above_generic()) {
        const attn::AttnKernels &lv = *attn::kernels_for(isa);
        compare_tile_scores<float>(isa, lv, ref);
        compare_tile_scores<uint16_t>(isa, lv, ref);
        compare_tile_scores<int8_t>(isa, lv, ref);
        compare_values<float>(isa, lv, ref);
        compare_values<uint16_t>(isa, lv, ref);
        compare_values<int8_t>(isa, lv, ref);
        for (int32_t n : {1, 7, 8, 15, 16, 17, 100, 128}) {
            std::vector<float> p = randoms(static_cast<size_t>(n), static_cast<uint32_t>(n), -30.0f, 5.0f);
            INFO(cpu::isa_name(isa) << " n " << n);
            const float mx = ref.max_of(p.data(), n);
            REQUIRE(lv.max_of(p.data(), n) == mx);
            std::vector<float> got = p, want = p;
            const float sg = lv.exp_sum(got.data(), n, mx), sw = ref.exp_sum(want.data(), n, mx);
            REQUIRE(sg == Approx(sw).epsilon(1e-6));
            for (int32_t i = 0; i < n; ++i) REQUIRE(got[static_cast<size_t>(i)] == Approx(want[static_cast<size_t>(i)]).epsilon(2e-7).margin(1e-37));
        }
    }
}

TEST_CASE("u8-block and bf16 product kernels of every level agree with the generic ones", "[levels][qblocks]") {
    const ops::OpsKernels &ref = *ops::kernels_for(Isa::Generic);
    for (Isa isa : levels_above_generic()) {
        const ops::OpsKernels &lv = *ops::kernels_for(isa);
        // Block counts below and above the 16-block step of the VNNI kernel, odd and even.
        for (int64_t cols : {32, 96, 512, 544, 1056}) {
            const int64_t rows = 19;
            const std::vector<float> xf = randoms(static_cast<size_t>(cols), static_cast<uint32_t>(cols), -3.0f, 3.0f);
            Quantized32 got(cols), want(cols);
            lv.quantize_activations(xf.data(), cols, got.a);
            ref.quantize_activations(xf.data(), cols, want.a);
            REQUIRE(got.q == want.q);
            REQUIRE(got.d == want.d);
            const qblocks::QuantizedActivations &a = got.a;
            for (int bits : {4, 8})
                for (bool q8_0 : {false, true}) {
                    if (bits == 4 && q8_0) continue;
                    const U8Matrix m = make_u8(rows, cols, bits, q8_0, static_cast<uint32_t>(cols + bits));
                    std::vector<float> got(static_cast<size_t>(rows)), want(got.size());
                    lv.qblocks_dot_rows(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 2, rows, a, got.data());
                    ref.qblocks_dot_rows(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 2, rows, a, want.data());
                    for (int64_t r = 0; r + 2 < rows; ++r) {
                        INFO(cpu::isa_name(isa) << " cols " << cols << " bits " << bits << " q8_0 " << q8_0 << " row " << r);
                        const double mag = dot_magnitude(m, r + 2, a);
                        REQUIRE(std::fabs(got[static_cast<size_t>(r)] - want[static_cast<size_t>(r)]) <= 1e-6 * mag + 1e-7);
                    }
                    std::vector<uint16_t> bf(static_cast<size_t>(3 * cols)), bf_ref(bf.size());
                    lv.qblocks_rows_to_bf16(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 4, 3, bf.data());
                    ref.qblocks_rows_to_bf16(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 4, 3, bf_ref.data());
                    REQUIRE(bf == bf_ref);
                    std::vector<float> f(static_cast<size_t>(3 * cols)), f_ref(f.size());
                    lv.qblocks_rows_to_f32(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 4, 3, f.data());
                    ref.qblocks_rows_to_f32(m.u.data(), bits, m.scale.data(), m.offset.data(), cols, 4, 3, f_ref.data());
                    REQUIRE(f == f_ref);
                }
        }
        for (int64_t cols : {1, 7, 8, 33, 64, 300}) {
            const int64_t rows = 11;
            const std::vector<float> w = randoms(static_cast<size_t>(rows * cols), static_cast<uint32_t>(cols));
            const std::vector<float> x = randoms(static_cast<size_t>(cols), static_cast<uint32_t>(cols + 1));
            std::vector<uint16_t> wb(w.size());
            for (size_t i = 0; i < w.size(); ++i) wb[i] = float_to_bf16(w[i]);
            std::vector<float> got(static_cast<size_t>(rows)), want(got.size());
            lv.bf16_dot_rows(wb.data(), cols, 1, rows, x.data(), got.data());
            ref.bf16_dot_rows(wb.data(), cols, 1, rows, x.data(), want.data());
            for (int64_t r = 0; r + 1 < rows; ++r)
                REQUIRE(got[static_cast<size_t>(r)] == Approx(want[static_cast<size_t>(r)]).margin(1e-5 * static_cast<double>(cols)));
            std::vector<float> f(wb.size()), f_ref(wb.size());
            lv.bf16_to_f32(wb.data(), f.data(), static_cast<int64_t>(wb.size()));
            ref.bf16_to_f32(wb.data(), f_ref.data(), static_cast<int64_t>(wb.size()));
            REQUIRE(f == f_ref);
        }
    }
}

TEST_CASE("f16 conversion of every level is exact for all 65536 halves", "[levels]") {
    std::vector<uint16_t> all(65536 + 5);
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
    const numeric::NumericKernels &ref = *numeric::kernels_for(Isa::Generic);
    std::vector<float> want(all.size());
    ref.f16_to_f32(all.data(), want.data(), static_cast<int64_t>(all.size()));
    for (Isa isa : levels_above_generic()) {
        // Odd lengths and an odd byte offset: rows in a file start anywhere.
        std::vector<uint8_t> bytes(2 * all.size() + 1);
        std::memcpy(bytes.data() + 1, all.data(), 2 * all.size());
        std::vector<float> got(all.size(), kSentinel);
        numeric::kernels_for(isa)->f16_to_f32(bytes.data() + 1, got.data(), static_cast<int64_t>(all.size()) - 3);
        for (size_t i = 0; i + 3 < all.size(); ++i) {
            INFO(cpu::isa_name(isa) << " half 0x" << std::hex << all[i]);
            if (std::isnan(want[i])) REQUIRE(std::isnan(got[i]));
            else REQUIRE(std::memcmp(&got[i], &want[i], sizeof(float)) == 0);
        }
        REQUIRE(got[all.size() - 3] == kSentinel);
    }
}

TEST_CASE("activation quantizers of every level give the generic bytes, non-finite inputs included",
          "[levels][qblocks][qpacked]") {
    const ops::OpsKernels &ref = *ops::kernels_for(Isa::Generic);
    const int64_t cols = 1024, nk = cols / 256;
    std::vector<float> x = randoms(static_cast<size_t>(cols), 77u, -4.0f, 4.0f);
    x[5] = NAN;           // a NaN inside a block of 32 and of 256
    x[300] = INFINITY;    // an infinite block: infinite scale, the others round to 0, inf * 0 to -127
    x[700] = -0.0f;
    for (int64_t i = 512; i < 544; ++i) x[static_cast<size_t>(i)] = 0.0f;  // an all-zero block
    for (Isa isa : levels_above_generic()) {
        INFO(cpu::isa_name(isa));
        const ops::OpsKernels &lv = *ops::kernels_for(isa);
        Quantized32 got(cols), want(cols);
        lv.quantize_activations(x.data(), cols, got.a);
        ref.quantize_activations(x.data(), cols, want.a);
        CHECK(got.q == want.q);
        CHECK(std::memcmp(got.d.data(), want.d.data(), got.d.size() * sizeof(float)) == 0);  // NaN sums included
        std::vector<int8_t> k(static_cast<size_t>(cols)), k_ref(k.size());
        std::vector<float> kd(static_cast<size_t>(nk)), kd_ref(kd.size());
        std::vector<int16_t> bs(static_cast<size_t>(nk * 16)), bs_ref(bs.size());
        qpacked::KActivations ka{cols, k.data(), kd.data(), bs.data()};
        qpacked::KActivations ka_ref{cols, k_ref.data(), kd_ref.data(), bs_ref.data()};
        lv.quantize_k_activations(x.data(), cols, ka);
        ref.quantize_k_activations(x.data(), cols, ka_ref);
        CHECK(k == k_ref);
        CHECK(std::memcmp(kd.data(), kd_ref.data(), kd.size() * sizeof(float)) == 0);
        CHECK(bs == bs_ref);
    }
}
