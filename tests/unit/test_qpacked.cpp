// Packed quantized weights (ops/qpacked.h): the planes hold exactly the values ggml's dequantizers
// give, in exactly the file's bytes; the kernels of every level that runs here agree with the
// generic ones and with a double-precision product within the rounding of the activations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/isa.h"
#include "numeric/tensor_types.h"
#include "ops/matmul.h"
#include "ops/ops_kernels.h"
#include "ops/qpacked.h"
#include "qblock_rows.h"

using namespace lh;

namespace {

struct Case {
    TensorType type;
    qpacked::Format format;
};

const Case kCases[] = {{TensorType::Q4_0, qpacked::Format::Q4_0},
                       {TensorType::Q8_0, qpacked::Format::Q8_0},
                       {TensorType::Q4_K, qpacked::Format::Q4_K},
                       {TensorType::Q5_K, qpacked::Format::Q5_K},
                       {TensorType::Q6_K, qpacked::Format::Q6_K},
                       {TensorType::IQ4_NL, qpacked::Format::IQ4_NL},
                       {TensorType::IQ4_XS, qpacked::Format::IQ4_XS},
                       {TensorType::Q2_K, qpacked::Format::Q2_K},
                       {TensorType::Q3_K, qpacked::Format::Q3_K}};

}  // namespace

TEST_CASE("packed rows hold exactly the dequantized values, in the file's bytes", "[qpacked]") {
    for (const Case &c : kCases) {
        // 32-element formats: a row that ends in a partial group of 128 (96, 64 and 32 left over).
        const int64_t sb = qpacked::super_block(c.format);
        for (int64_t cols : {sb == 32 ? int64_t(480) : int64_t(512), sb == 32 ? int64_t(2080) : int64_t(2304),
                             sb == 32 ? int64_t(64) : int64_t(256)}) {
            INFO(qpacked::format_name(c.format) << ", " << cols << " columns");
            qpacked::Format f;
            REQUIRE(qpacked::format_for(c.type, cols, &f));
            REQUIRE(f == c.format);
            const int64_t rows = 3;
            const std::vector<uint8_t> bytes = test_rows::random_rows(c.type, rows, cols, 17);
            const size_t row_bytes = tensor_row_bytes(c.type, cols);
            CHECK(qpacked::quant_row_bytes(f, cols) + qpacked::meta_row_bytes(f, cols) ==
                  static_cast<int64_t>(row_bytes));
            std::vector<uint8_t> q(static_cast<size_t>(qpacked::quant_row_bytes(f, cols)));
            std::vector<uint8_t> m(static_cast<size_t>(qpacked::meta_row_bytes(f, cols)));
            std::vector<float> got(static_cast<size_t>(cols)), want(static_cast<size_t>(cols));
            for (int64_t r = 0; r < rows; ++r) {
                qpacked::pack_row(f, bytes.data() + r * row_bytes, cols, q.data(), m.data());
                qpacked::unpack_row(f, q.data(), m.data(), cols, got.data());
                dequantize_row(c.type, bytes.data() + r * row_bytes, want.data(), cols);
                int64_t differ = 0;
                for (int64_t k = 0; k < cols; ++k) differ += std::memcmp(&got[size_t(k)], &want[size_t(k)], 4) != 0;
                CHECK(differ == 0);
            }
        }
    }
}

TEST_CASE("a packed matrix row holds its meta, then its quants, padded to lines where that is cheap", "[qpacked]") {
    for (const Case &c : kCases) {
        const int64_t sb = qpacked::super_block(c.format);
        // 4096 and 5632: every format pads; 256 (Q4_0: 144 bytes to 192) and 2080 (Q4_0: 1,170 to
        // 1,280) stay dense.
        for (int64_t cols : {int64_t(4096), int64_t(5632), int64_t(256), sb == 32 ? int64_t(2080) : int64_t(2304)}) {
            INFO(qpacked::format_name(c.format) << ", " << cols << " columns");
            qpacked::Format f;
            REQUIRE(qpacked::format_for(c.type, cols, &f));
            const int64_t qrb = qpacked::quant_row_bytes(f, cols), mrb = qpacked::meta_row_bytes(f, cols);
            const qpacked::RowLayout layout = qpacked::row_layout(f, cols);
            const int64_t offset = layout.quant_offset, stride = layout.stride;
            CHECK(layout.meta_bytes == mrb);
            CHECK(layout.quant_bytes == qrb);
            CHECK(qpacked::row_stride(f, cols) == stride);
            if (cols >= 4096) {
                CHECK(offset % 64 == 0);
                CHECK(stride % 64 == 0);
            }
            if (cols == 256 || (cols == 2080 && f == qpacked::Format::Q4_0)) CHECK(stride == mrb + qrb);
            CHECK(offset >= mrb);
            CHECK(offset < mrb + 64);
            CHECK(stride >= offset + qrb);
            CHECK((stride - mrb - qrb) * 32 <= mrb + qrb);  // the padding's cost bound

            const std::vector<uint8_t> src = test_rows::random_rows(c.type, 1, cols, 5);
            std::vector<uint8_t> q(static_cast<size_t>(qrb)), m(static_cast<size_t>(mrb));
            qpacked::pack_row(f, src.data(), cols, q.data(), m.data());
            std::vector<uint8_t> row(static_cast<size_t>(stride), 0xa5);
            qpacked::pack_matrix_row(f, src.data(), cols, row.data());
            CHECK(std::memcmp(row.data(), m.data(), m.size()) == 0);
            CHECK(std::memcmp(row.data() + offset, q.data(), q.size()) == 0);
            int64_t nonzero_padding = 0;
            for (int64_t i = mrb; i < offset; ++i) nonzero_padding += row[size_t(i)] != 0;
            for (int64_t i = offset + qrb; i < stride; ++i) nonzero_padding += row[size_t(i)] != 0;
            CHECK(nonzero_padding == 0);

            const qpacked::PackedView v = qpacked::view_of(f, cols, row.data());
            CHECK(v.meta_of(0) == row.data());
            CHECK(v.quants_of(0) == row.data() + offset);
            CHECK(v.row(1) == row.data() + stride);
        }
    }
}

TEST_CASE("packed formats exist only for the types and widths they can hold", "[qpacked]") {
    qpacked::Format f;
    CHECK(qpacked::format_for(TensorType::Q4_K, 512, &f));
    CHECK_FALSE(qpacked::format_for(TensorType::Q4_K, 480, &f));  // K formats need 256 | cols
    CHECK(qpacked::format_for(TensorType::Q4_0, 480, &f));
    CHECK_FALSE(qpacked::format_for(TensorType::Q4_0, 48, &f));
    CHECK(qpacked::format_for(TensorType::IQ4_NL, 480, &f));
    CHECK(f == qpacked::Format::IQ4_NL);
    CHECK_FALSE(qpacked::format_for(TensorType::IQ4_NL, 48, &f));
    CHECK(qpacked::format_for(TensorType::IQ4_XS, 512, &f));
    CHECK(f == qpacked::Format::IQ4_XS);
    CHECK_FALSE(qpacked::format_for(TensorType::IQ4_XS, 480, &f));
    CHECK(qpacked::format_for(TensorType::Q2_K, 512, &f));
    CHECK(f == qpacked::Format::Q2_K);
    CHECK_FALSE(qpacked::format_for(TensorType::Q3_K, 480, &f));
    // Kept packed where the decode kernel beats the bf16 product: IQ4 from AVX2 on.
    CHECK(qpacked::keep_packed(qpacked::Format::Q4_0));
    CHECK(qpacked::keep_packed(qpacked::Format::Q6_K));
    CHECK(qpacked::keep_packed(qpacked::Format::IQ4_NL) == (cpu::active_isa() >= cpu::Isa::Avx2));
    CHECK(qpacked::keep_packed(qpacked::Format::IQ4_XS) == (cpu::active_isa() >= cpu::Isa::Avx2));
    CHECK(qpacked::keep_packed(qpacked::Format::Q2_K) == (cpu::active_isa() >= cpu::Isa::Avx2));
    CHECK(qpacked::keep_packed(qpacked::Format::Q3_K) == (cpu::active_isa() >= cpu::Isa::Avx2));
    CHECK_FALSE(qpacked::format_for(TensorType::Q4_1, 512, &f));
    CHECK_FALSE(qpacked::format_for(TensorType::F16, 512, &f));
}

namespace {

// A packed matrix and the float values of its weights (the dequantizer's).
struct PackedMatrix {
    qpacked::Format format;
    int64_t rows = 0, cols = 0;
    std::vector<uint8_t> bytes;  // rows of qpacked::row_stride bytes
    std::vector<float> values;   // [rows][cols]

    WeightMatrix matrix() const {
        WeightMatrix w;
        w.rows = rows;
        w.cols = cols;
        w.type = WeightType::PACKED;
        w.packed_format = format;
        w.data = bytes.data();
        return w;
    }
};

PackedMatrix make_packed(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
    PackedMatrix p;
    REQUIRE(qpacked::format_for(type, cols, &p.format));
    p.rows = rows;
    p.cols = cols;
    const std::vector<uint8_t> src = test_rows::random_rows(type, rows, cols, seed);
    const int64_t stride = qpacked::row_stride(p.format, cols);
    p.bytes.assign(static_cast<size_t>(rows * stride), 0xa5);  // pack_matrix_row must zero the padding
    p.values.resize(static_cast<size_t>(rows * cols));
    const size_t row_bytes = tensor_row_bytes(type, cols);
    for (int64_t r = 0; r < rows; ++r) {
        qpacked::pack_matrix_row(p.format, src.data() + r * row_bytes, cols, p.bytes.data() + r * stride);
        dequantize_row(type, src.data() + r * row_bytes, p.values.data() + r * cols, cols);
    }
    return p;
}

// Both quantizations of one activation row, with their storage, and each also in the order of
// the spans of the Q4_0 and Q4_K kernels (as the products prepare them) unless `q4_0_order` is false.
struct Acts {
    std::vector<int8_t> q32, q32_q4_0, q256, q256_spans;
    std::vector<float> d32, dsum32, d256;
    std::vector<int16_t> bsums;
    qpacked::PackedActivations a;

    Acts(const float *x, int64_t cols, const ops::OpsKernels &k, bool q4_0_order = true)
        : q32(size_t(cols)), q32_q4_0(size_t(cols)), q256(size_t(cols)), q256_spans(size_t(cols)), d32(size_t(cols / 32)),
          dsum32(size_t(cols / 32)), d256(size_t(cols / 256 + 1)), bsums(size_t(cols / 16)) {
        a.a32 = {cols, q32.data(), d32.data(), dsum32.data()};
        a.a256 = {cols, q256.data(), d256.data(), bsums.data()};
        k.quantize_activations(x, cols, a.a32);
        if (q4_0_order) {
            qpacked::order_for_q4_0(q32.data(), cols, q32_q4_0.data());
            a.a32.q_q4_0 = q32_q4_0.data();
        }
        if (cols % 256 == 0) k.quantize_k_activations(x, cols, a.a256);
        if (q4_0_order) {
            qpacked::order_for_q4_0(q256.data(), cols, q256_spans.data());
            a.a256.q_spans = q256_spans.data();
        }
    }
};

std::vector<cpu::Isa> levels_that_run() {
    std::vector<cpu::Isa> out;
    for (int32_t i = 0; i < cpu::kIsaCount; ++i)
        if (cpu::isa_runs_here(static_cast<cpu::Isa>(i))) out.push_back(static_cast<cpu::Isa>(i));
    return out;
}

const TensorType kPackedTypes[] = {TensorType::Q4_0,   TensorType::Q8_0,   TensorType::Q4_K, TensorType::Q5_K,
                                   TensorType::Q6_K,   TensorType::IQ4_NL, TensorType::IQ4_XS, TensorType::Q2_K,
                                   TensorType::Q3_K};

// Formats with a factor per 32 elements (rows of any multiple of 32).
bool per_32(TensorType type) {
    return type == TensorType::Q4_0 || type == TensorType::Q8_0 || type == TensorType::IQ4_NL;
}

}  // namespace

TEST_CASE("K activations are ggml's q8_K: one scale per 256, the sums of each 16", "[qpacked]") {
    std::vector<float> x(512);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.37f) * (i < 256 ? 2.0f : 0.5f);
    x[300] = NAN;  // a non-finite input must not make the rounding undefined
    for (cpu::Isa isa : levels_that_run()) {
        INFO(cpu::isa_name(isa));
        std::vector<int8_t> q(512);
        std::vector<float> d(2);
        std::vector<int16_t> bs(32);
        qpacked::KActivations a{512, q.data(), d.data(), bs.data()};
        ops::kernels_for(isa)->quantize_k_activations(x.data(), 512, a);
        float amax = 0;
        for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(x[size_t(i)]));
        CHECK(d[0] == amax / 127.0f);
        for (int g = 0; g < 32; ++g) {
            int sum = 0;
            for (int i = 16 * g; i < 16 * g + 16; ++i) sum += q[size_t(i)];
            CHECK(bs[size_t(g)] == sum);
        }
        for (int i = 0; i < 256; ++i) CHECK(q[size_t(i)] == int(std::nearbyint(x[size_t(i)] / d[0])));
        for (int i = 256; i < 512; ++i) CHECK(std::abs(int(q[size_t(i)])) <= 127);
    }
}

TEST_CASE("packed dot products match a double-precision product within the activation rounding", "[qpacked]") {
    // Every level against the exact product of the dequantized weights and the float activations:
    // the only approximation is the int8 rounding of the activations, at most half a step
    // (max |x| / 254 over the 32 or 256 elements sharing a scale) per element.
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (TensorType type : kPackedTypes) {
        const int64_t cols = per_32(type) ? 1120 : 1280;  // 32-element formats: a 96 tail
        const PackedMatrix p = make_packed(type, 19, cols, 23);
        const int64_t block = qpacked::super_block(p.format);
        std::vector<float> x(static_cast<size_t>(cols));
        for (float &v : x) v = dist(rng);
        for (cpu::Isa isa : levels_that_run())
        for (bool q4_0_order : {true, false}) {
            if (!q4_0_order && type != TensorType::Q4_0 && type != TensorType::Q4_K) continue;
            // Q4_0 and Q4_K without the activations ordered for their spans: the plain loop on
            // every level.
            INFO(qpacked::format_name(p.format) << " on " << cpu::isa_name(isa) << (q4_0_order ? "" : ", unordered"));
            const ops::OpsKernels &k = *ops::kernels_for(isa);
            const Acts acts(x.data(), cols, k, q4_0_order);
            std::vector<float> y(size_t(p.rows), NAN);
            k.packed_dot_rows(p.matrix().packed_view(), 0, p.rows, acts.a, y.data());
            for (int64_t r = 0; r < p.rows; ++r) {
                double ref = 0, bound = 1e-5;
                for (int64_t c = 0; c < cols; ++c) {
                    const double w = p.values[size_t(r * cols + c)];
                    ref += w * x[size_t(c)];
                    double amax = 0;
                    for (int64_t j = c / block * block; j < c / block * block + block; ++j)
                        amax = std::max(amax, std::fabs(double(x[size_t(j)])));
                    bound += amax / 254.0 * std::fabs(w) + 1e-6 * std::fabs(w * x[size_t(c)]);
                }
                REQUIRE(std::isfinite(y[size_t(r)]));
                CHECK(std::fabs(y[size_t(r)] - ref) <= bound);
            }
        }
    }
}

TEST_CASE("packed kernels of every level agree with the generic ones", "[qpacked][levels]") {
    // Same integer sums on every level; only the order of the float additions differs, so the
    // levels agree to a few float roundings of the sum of the terms' magnitudes.
    const ops::OpsKernels &ref = *ops::kernels_for(cpu::Isa::Generic);
    std::mt19937 rng(8);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    for (TensorType type : kPackedTypes)
    for (int64_t width : {0, 1, 2, 3}) {
        // 32-element formats: 65 blocks (16-block steps, then a last group of 32), 68 (then a
        // whole group of 4 blocks) and 66 (then 64 elements); K formats: 9, 10 and 11 blocks of 256
        // (the Q4_K / Q5_K kernels take blocks four at a time: a last group of 1, 2 and 3). Then
        // 5632, whose rows every format pads to 64-byte lines (the narrower ones leave some dense).
        const bool k32 = per_32(type);
        const int64_t narrow[4] = {k32 ? 2080 : 2304, k32 ? 2176 : 2560, 5632, k32 ? 2112 : 2816};
        const int64_t cols = narrow[width];
        const PackedMatrix p = make_packed(type, 33, cols, 29);
        std::vector<float> x(static_cast<size_t>(cols));
        for (float &v : x) v = dist(rng);
        const Acts acts(x.data(), cols, ref);
        std::vector<float> want(size_t(p.rows)), got(size_t(p.rows));
        const qpacked::PackedView v = p.matrix().packed_view();
        ref.packed_dot_rows(v, 0, p.rows, acts.a, want.data());
        std::vector<uint16_t> bf_want(size_t(p.rows * cols)), bf_got(size_t(p.rows * cols));
        std::vector<float> f_want(size_t(p.rows * cols)), f_got(size_t(p.rows * cols));
        ref.packed_rows_to_bf16(v, 0, p.rows, bf_want.data());
        ref.packed_rows_to_f32(v, 0, p.rows, f_want.data());
        for (cpu::Isa isa : levels_that_run()) {
            INFO(qpacked::format_name(p.format) << " on " << cpu::isa_name(isa));
            const ops::OpsKernels &k = *ops::kernels_for(isa);
            k.packed_dot_rows(v, 0, p.rows, acts.a, got.data());
            for (int64_t r = 0; r < p.rows; ++r) {
                double mag = 0;  // sum of |w x| with the quantized activations' magnitudes
                for (int64_t c = 0; c < cols; ++c) mag += std::fabs(double(p.values[size_t(r * cols + c)]) * x[size_t(c)]);
                CHECK(std::fabs(double(got[size_t(r)]) - want[size_t(r)]) <= 1e-5 * mag + 1e-6);
            }
            // Expansions: exactly the dequantized values, and those rounded once to bf16 (every
            // product in them is exact or rounded once, so a fused multiply-add changes nothing).
            k.packed_rows_to_bf16(v, 0, p.rows, bf_got.data());
            k.packed_rows_to_f32(v, 1, p.rows - 1, f_got.data());
            int64_t bf_off = 0, f_off = 0;
            for (int64_t i = 0; i < p.rows * cols; ++i) {
                const float exact = p.values[size_t(i)];
                bf_off += bf_got[size_t(i)] != float_to_bf16(exact);
                if (i >= cols) f_off += std::memcmp(&f_got[size_t(i - cols)], &exact, 4) != 0;
            }
            CHECK(bf_off == 0);
            CHECK(f_off == 0);
        }
    }
}

TEST_CASE("products of packed matrices: int8 for few rows, expanded slices for more, grouped or not", "[qpacked]") {
    MatmulCache cache(2);
    std::mt19937 rng(12);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const int64_t cols = 512;
    std::vector<PackedMatrix> ps;
    for (TensorType type : kPackedTypes) ps.push_back(make_packed(type, 40 + 8 * int64_t(ps.size()), cols, 31));
    const int64_t t = cache.direct_rows_quantized();  // the last m of the int8 path
    for (int64_t m : {int64_t(1), int64_t(3), t, t + 1, t + 25}) {
        const bool int8_rows = m <= t;
        INFO("m = " << m << (int8_rows ? " (int8 rows)" : " (expanded slices)"));
        std::vector<float> x(size_t(m * cols));
        for (float &v : x) v = dist(rng);
        std::vector<std::vector<float>> single(ps.size()), grouped(ps.size());
        std::vector<WeightMatrix> ws;
        for (size_t i = 0; i < ps.size(); ++i) {
            ws.push_back(ps[i].matrix());
            single[i].assign(size_t(m * ps[i].rows), NAN);
            grouped[i].assign(size_t(m * ps[i].rows), NAN);
            cache.run(x.data(), m, ws[i], single[i].data());
        }
        std::vector<const WeightMatrix *> wp;
        std::vector<float *> yp;
        for (size_t i = 0; i < ps.size(); ++i) {
            wp.push_back(&ws[i]);
            yp.push_back(grouped[i].data());
        }
        // groups of at most 8 matrices (a fused group's limit), so that every format is in one
        for (size_t i = 0; i < ps.size(); i += 8)
            cache.run_group(x.data(), m, wp.data() + i, yp.data() + i, int(std::min<size_t>(8, ps.size() - i)));
        for (size_t i = 0; i < ps.size(); ++i) {
            INFO(qpacked::format_name(ps[i].format));
            CHECK(grouped[i] == single[i]);  // same kernels, same activations: bit-identical
            const int64_t block = int8_rows ? qpacked::super_block(ps[i].format) : 1;
            for (int64_t row = 0; row < m; ++row) {
                for (int64_t r = 0; r < ps[i].rows; ++r) {
                    double ref = 0, bound = 1e-4;
                    for (int64_t c = 0; c < cols; ++c) {
                        const double w = ps[i].values[size_t(r * cols + c)], xv = x[size_t(row * cols + c)];
                        ref += w * xv;
                        double amax = 0;
                        for (int64_t j = c / block * block; j < c / block * block + block; ++j)
                            amax = std::max(amax, std::fabs(double(x[size_t(row * cols + j)])));
                        // int8 path: half an activation step; bf16 slices: a bf16 rounding of x and of w
                        bound += int8_rows ? amax / 254.0 * std::fabs(w) : std::fabs(w * xv) / 128.0;
                    }
                    CHECK(std::fabs(single[i][size_t(row * ps[i].rows + r)] - ref) <= bound);
                }
            }
        }
    }
}

TEST_CASE("a prefill product of more rows than one expanded slice writes every slice into its columns",
          "[qpacked]") {
    // 8 MiB slices: 8192 rows of 512 bf16 columns (4096 as f32), so 8232 rows take two or three
    // slices, the last one short; a Q8_0 and a Q4_K matrix share one bf16 copy of x in a group.
    MatmulCache cache(2);
    const int64_t cols = 512, m = cache.direct_rows_quantized() + 1;  // the fewest rows that take slices
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> x(size_t(m * cols));
    for (float &v : x) v = dist(rng);
    const PackedMatrix big = make_packed(TensorType::Q8_0, 8232, cols, 7);
    const PackedMatrix small = make_packed(TensorType::Q4_K, 24, cols, 8);
    const WeightMatrix wb = big.matrix(), wsm = small.matrix();
    std::vector<float> y(size_t(m * big.rows), NAN), ys(size_t(m * small.rows), NAN);
    cache.run(x.data(), m, wb, y.data());
    for (int64_t row = 0; row < m; ++row) {
        for (int64_t r = 0; r < big.rows; r += 7) {  // every 7th output: each slice, both edges
            double ref = 0, bound = 1e-4;
            for (int64_t c = 0; c < cols; ++c) {
                const double w = big.values[size_t(r * cols + c)], xv = x[size_t(row * cols + c)];
                ref += w * xv;
                bound += std::fabs(w * xv) / 128.0;  // a bf16 rounding of x and of w
            }
            INFO("row " << row << ", output " << r);
            CHECK(std::fabs(y[size_t(row * big.rows + r)] - ref) <= bound);
        }
        CHECK(std::isfinite(y[size_t(row * big.rows + big.rows - 1)]));
    }
    const WeightMatrix *wp[2] = {&wb, &wsm};
    std::vector<float> yg(y.size(), NAN), ysg(ys.size(), NAN);
    float *yp[2] = {yg.data(), ysg.data()};
    cache.run(x.data(), m, wsm, ys.data());
    cache.run_group(x.data(), m, wp, yp, 2);
    CHECK(yg == y);
    CHECK(ysg == ys);
}
