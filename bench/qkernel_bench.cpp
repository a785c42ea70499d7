// Decode kernels of quantized weights alone (int8 dot products of one activation row against a
// matrix), per instruction-set level: the matrix products of a decoded token without the rest of
// the model. Two modes:
//   streaming (default): --mb megabytes of weights (several copies of a rows x cols matrix), read
//     once per round, so the rate is bounded by the memory bandwidth;
//   --cache: one matrix small enough for the L2 cache, read --inner times per round, so the rate
//     is the kernel's compute throughput.
// --expand times the expansion to bf16 (prefill) instead of the dot products.
// --matmul times the product as a decoded token runs it (MatmulCache::run with one activation row:
// the activations quantized, then the kernels; oneDNN for bf16), at the level --level names (set
// as LONGHEADS_CPU, which caps oneDNN too). A `-bf16` type is the matrix expanded to bf16 at load
// (what bf16 precision does with the types it does not keep packed), always timed this way.
// --pages huge (default) allocates each matrix as the loader does (common/streamed_buffer.h:
// advised for transparent huge pages); --pages small leaves it in 4 KiB pages.
// Best and median of --repeat rounds (on a shared machine the best round is the least disturbed).
//
//   qkernel_bench --type q4_0|q8_0|q2_K|q3_K|q4_K|q5_K|q6_K|iq4_nl|iq4_xs[-u8|-bf16]
//                 [--level generic|avx2|avx512|avx512_bf16] [--rows 5632] [--cols 2048] [--mb 512]
//                 [--cache] [--inner 50] [--threads 2] [--repeat 20] [--matmul] [--pages huge|small]
// (`-u8` types: the older u8-block layout of ops/qblocks.h, q4_0 and q8_0 only, for comparison.)
// Prints one JSON line: seconds per round (best, median), per matrix product, GB/s of weights read,
// ns per weight and thread.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "common/aligned_vector.h"
#include "common/streamed_buffer.h"
#include "cpu/isa.h"
#include "numeric/tensor_types.h"
#include "ops/matmul.h"
#include "ops/ops_kernels.h"
#include "ops/qblocks.h"
#include "ops/qpacked.h"

namespace {

bool g_huge_pages = true;  // --pages

// Matrix bytes placed as the loader places weights (or in small pages, for comparison).
template <class T> struct WeightAllocator {
    using value_type = T;
    WeightAllocator() = default;
    template <class U> WeightAllocator(const WeightAllocator<U> &) {}
    T *allocate(size_t n) {
        void *p = g_huge_pages ? lh::allocate_streamed(n * sizeof(T)) : std::malloc(n * sizeof(T));
        if (!p) throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, size_t) { std::free(p); }
    bool operator==(const WeightAllocator &) const { return true; }
    bool operator!=(const WeightAllocator &) const { return false; }
};

struct Args {
    std::string type = "q4_0", level;
    int64_t rows = 5632, cols = 2048, mb = 512, inner = 50;
    int32_t threads = 2, repeat = 20;
    bool cache = false, expand = false, matmul = false;
};

[[noreturn]] void usage(const char *why) {
    std::fprintf(stderr, "qkernel_bench: %s\n", why);
    std::exit(2);
}

Args parse(int argc, char **argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        if (k == "--cache" || k == "--expand" || k == "--matmul") {
            (k == "--cache" ? a.cache : k == "--expand" ? a.expand : a.matmul) = true;
            continue;
        }
        if (i + 1 >= argc) usage(("missing value for " + k).c_str());
        const char *v = argv[++i];
        if (k == "--type") a.type = v;
        else if (k == "--level") a.level = v;
        else if (k == "--rows") a.rows = std::atoll(v);
        else if (k == "--cols") a.cols = std::atoll(v);
        else if (k == "--mb") a.mb = std::atoll(v);
        else if (k == "--inner") a.inner = std::atoll(v);
        else if (k == "--threads") a.threads = std::atoi(v);
        else if (k == "--repeat") a.repeat = std::atoi(v);
        else if (k == "--pages") {
            if (std::strcmp(v, "huge") != 0 && std::strcmp(v, "small") != 0) usage("--pages takes huge or small");
            g_huge_pages = std::strcmp(v, "huge") == 0;
        }
        else usage(("unknown flag " + k).c_str());
    }
    return a;
}

lh::TensorType ggml_type(const std::string &t) {
    const std::string base = t.substr(0, t.find('-'));
    for (uint32_t id = 0; id < 64; ++id) {
        const lh::TensorTypeTraits *tr = lh::tensor_type_traits(id);
        if (tr && base == tr->name) return static_cast<lh::TensorType>(id);
    }
    usage(("unknown type " + t).c_str());
}

// Random ggml rows with modest f16 factors where each block keeps them.
std::vector<uint8_t> random_rows(lh::TensorType type, int64_t rows, int64_t cols) {
    const lh::TensorTypeTraits *tr = lh::tensor_type_traits(static_cast<uint32_t>(type));
    std::vector<uint8_t> b(lh::tensor_row_bytes(type, cols) * static_cast<size_t>(rows));
    std::mt19937 rng(1);
    for (uint8_t &x : b) x = static_cast<uint8_t>(rng());
    const uint16_t h = lh::float_to_half(0.01f);
    for (size_t blk = 0; blk < b.size() / tr->block_bytes; ++blk) {
        uint8_t *p = b.data() + blk * tr->block_bytes;
        const size_t at = type == lh::TensorType::Q6_K   ? 208
                          : type == lh::TensorType::Q2_K ? 80
                          : type == lh::TensorType::Q3_K ? 108
                                                         : 0;
        std::memcpy(p + at, &h, 2);
        if (type == lh::TensorType::Q4_K || type == lh::TensorType::Q5_K || type == lh::TensorType::Q2_K)
            std::memcpy(p + at + 2, &h, 2);  // dmin
    }
    return b;
}

enum class Layout { Packed, U8, Bf16 };

// One matrix in the layout the kernel reads.
struct Matrix {
    std::vector<uint8_t, WeightAllocator<uint8_t>> bytes;
    lh::qpacked::PackedView view;               // packed types
    std::vector<float> scale, offset;           // u8 blocks
    int bits = 8;

    // The matrix as the library's products see it (packed or bf16).
    lh::WeightMatrix weights(Layout layout, const Args &a) const {
        lh::WeightMatrix w;
        w.rows = a.rows;
        w.cols = a.cols;
        w.data = bytes.data();
        if (layout == Layout::Bf16) {
            w.type = lh::WeightType::BF16;
        } else {
            w.type = lh::WeightType::PACKED;
            w.packed_format = view.format;
        }
        return w;
    }
};

Matrix build(const Args &a, lh::TensorType type, Layout layout) {
    const std::vector<uint8_t> src = random_rows(type, a.rows, a.cols);
    const size_t rb = lh::tensor_row_bytes(type, a.cols);
    Matrix m;
    if (layout == Layout::Bf16) {  // the dequantized values rounded to bf16, as the loader expands them
        m.bytes.resize(static_cast<size_t>(a.rows * a.cols) * 2);
        std::vector<float> row(static_cast<size_t>(a.cols));
        uint16_t *out = reinterpret_cast<uint16_t *>(m.bytes.data());
        for (int64_t r = 0; r < a.rows; ++r) {
            lh::dequantize_row(type, src.data() + r * rb, row.data(), a.cols);
            for (int64_t c = 0; c < a.cols; ++c) out[r * a.cols + c] = lh::float_to_bf16(row[static_cast<size_t>(c)]);
        }
        return m;
    }
    if (layout == Layout::U8) {
        m.bits = lh::qblocks::bits_for(type);
        const int64_t nb = a.cols / 32, ru = lh::qblocks::row_bytes_for(a.cols, m.bits);
        m.bytes.resize(static_cast<size_t>(a.rows * ru));
        m.scale.resize(static_cast<size_t>(a.rows * nb));
        m.offset.resize(static_cast<size_t>(a.rows * nb));
        std::vector<uint8_t> tmp(static_cast<size_t>(a.cols));
        for (int64_t r = 0; r < a.rows; ++r) {
            lh::qblocks::convert_row(type, src.data() + r * rb, a.cols, tmp.data(), m.scale.data() + r * nb,
                                     m.offset.data() + r * nb);
            lh::qblocks::pack_row(tmp.data(), a.cols, m.bits, m.bytes.data() + r * ru);
        }
        return m;
    }
    lh::qpacked::Format f;
    if (!lh::qpacked::format_for(type, a.cols, &f)) usage("no packed format for this type and width");
    const int64_t stride = lh::qpacked::row_stride(f, a.cols);
    m.bytes.resize(static_cast<size_t>(a.rows * stride));
    for (int64_t r = 0; r < a.rows; ++r)
        lh::qpacked::pack_matrix_row(f, src.data() + r * rb, a.cols, m.bytes.data() + r * stride);
    m.view = lh::qpacked::view_of(f, a.cols, m.bytes.data());
    return m;
}

uint64_t matrix_bytes(const Matrix &m) {
    return m.bytes.size() + (m.scale.size() + m.offset.size()) * sizeof(float);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char **argv) {
    Args a = parse(argc, argv);
    const bool u8 = a.type.find("-u8") != std::string::npos;
    const Layout layout = u8 ? Layout::U8 : a.type.find("-bf16") != std::string::npos ? Layout::Bf16 : Layout::Packed;
    if (layout == Layout::Bf16) a.matmul = true;
    if (a.matmul && (a.expand || u8)) usage("--matmul times packed or -bf16 decode products only");
    // The library's products run on the process's level: LONGHEADS_CPU, read once on first use.
    if (a.matmul && !a.level.empty()) setenv("LONGHEADS_CPU", a.level.c_str(), 1);
    lh::cpu::Isa isa = lh::cpu::active_isa();
    if (!a.level.empty() && !lh::cpu::parse_isa(a.level.c_str(), &isa)) usage("unknown level");
    const lh::ops::OpsKernels *k = lh::ops::kernels_for(isa);
    if (!k) usage("that level does not run on this CPU");
    if (a.matmul && isa != lh::cpu::active_isa()) usage("LONGHEADS_CPU is set to another level");
    const lh::TensorType type = ggml_type(a.type);

    std::vector<Matrix> mats;
    mats.push_back(build(a, type, layout));
    const uint64_t one = matrix_bytes(mats[0]);
    const int64_t copies = a.cache ? 1 : std::max<int64_t>(1, static_cast<int64_t>((a.mb << 20) / one));
    for (int64_t c = 1; c < copies; ++c) mats.push_back(mats[0]);
    for (Matrix &m : mats) {  // the copies' views point into their own bytes
        if (layout != Layout::Packed) continue;
        m.view.data = m.bytes.data();
    }

    std::vector<float> x(static_cast<size_t>(a.cols));
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float &v : x) v = dist(rng);
    lh::LineAlignedVector<int8_t> q32(x.size()), q256(x.size());  // as the products keep theirs
    std::vector<float> d32(x.size() / 32), ds32(x.size() / 32), d256(x.size() / 256 + 1);
    std::vector<int16_t> bs(x.size() / 16);
    lh::qpacked::PackedActivations acts;
    acts.a32 = {a.cols, q32.data(), d32.data(), ds32.data()};
    acts.a256 = {a.cols, q256.data(), d256.data(), bs.data()};
    k->quantize_activations(x.data(), a.cols, acts.a32);
    lh::LineAlignedVector<int8_t> q32_q4_0(x.size());  // as the products order it for the Q4_0 kernels
    lh::qpacked::order_for_q4_0(q32.data(), a.cols, q32_q4_0.data());
    acts.a32.q_q4_0 = q32_q4_0.data();
    if (a.cols % 256 == 0) k->quantize_k_activations(x.data(), a.cols, acts.a256);
    lh::LineAlignedVector<int8_t> q256_spans(x.size());  // as the products order it for the Q4_K kernels
    lh::qpacked::order_for_q4_0(q256.data(), a.cols, q256_spans.data());
    acts.a256.q_spans = q256_spans.data();

    std::vector<float> y(static_cast<size_t>(a.rows));
    std::vector<uint16_t> slice(a.expand ? static_cast<size_t>(16 * a.threads * a.cols) : 0);
    const int64_t items = (a.rows + 15) / 16;
    const int64_t passes = a.cache ? a.inner : 1;
    double sink = 0;
    std::vector<double> rounds;
    lh::MatmulCache products(a.threads);
    std::vector<lh::WeightMatrix> ws;
    for (const Matrix &m : mats) ws.push_back(m.weights(layout, a));
    if (a.matmul) products.run(x.data(), 1, ws[0], y.data());  // creates oneDNN's primitive
    omp_set_num_threads(a.threads);
    for (int rep = 0; rep < a.repeat; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t p = 0; p < passes; ++p) {
            if (a.matmul) {
                for (const lh::WeightMatrix &w : ws) {
                    products.run(x.data(), 1, w, y.data());
                    sink += y[0];
                }
                continue;
            }
            for (const Matrix &m : mats) {
#pragma omp parallel for schedule(static)
                for (int64_t it = 0; it < items; ++it) {
                    const int64_t r0 = it * 16, r1 = std::min(a.rows, r0 + 16);
                    uint16_t *out = a.expand ? slice.data() + omp_get_thread_num() * 16 * a.cols : nullptr;
                    if (a.expand && u8)
                        k->qblocks_rows_to_bf16(m.bytes.data(), m.bits, m.scale.data(), m.offset.data(), a.cols, r0,
                                                r1 - r0, out);
                    else if (a.expand)
                        k->packed_rows_to_bf16(m.view, r0, r1 - r0, out);
                    else if (u8)
                        k->qblocks_dot_rows(m.bytes.data(), m.bits, m.scale.data(), m.offset.data(), a.cols, r0, r1,
                                            acts.a32, y.data() + r0);
                    else
                        k->packed_dot_rows(m.view, r0, r1, acts, y.data() + r0);
                }
                sink += a.expand ? slice[0] : y[0];
            }
        }
        rounds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const double best = *std::min_element(rounds.begin(), rounds.end()), med = median(rounds);
    const double bytes = static_cast<double>(one) * static_cast<double>(copies * passes);
    const double weights = static_cast<double>(a.rows * a.cols) * static_cast<double>(copies * passes);
    const double products_per_round = static_cast<double>(copies * passes);
    const char *mode = a.expand ? (a.cache ? "expand-cache" : "expand")
                       : a.matmul ? (a.cache ? "matmul-cache" : "matmul")
                       : a.cache  ? "cache"
                                  : "stream";
    std::printf("{\"type\": \"%s\", \"level\": \"%s\", \"mode\": \"%s\", \"threads\": %d, \"rows\": %lld, "
                "\"cols\": %lld, \"pages\": \"%s\", \"bytes_per_round\": %.0f, \"best_s\": %.6f, \"median_s\": %.6f, "
                "\"median_ms_per_product\": %.4f, \"gb_per_s\": %.2f, \"ns_per_weight_thread\": %.4f, "
                "\"bytes_per_weight\": %.4f, \"check\": %g}\n",
                a.type.c_str(), lh::cpu::isa_name(isa), mode, a.threads, static_cast<long long>(a.rows),
                static_cast<long long>(a.cols), g_huge_pages ? "huge" : "small", bytes, best, med, med * 1e3 / products_per_round, bytes / best / 1e9,
                best * 1e9 * a.threads / weights, bytes / weights, std::isfinite(sink) ? sink : 0.0);
    return 0;
}
