#include "ops/matmul.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "cpu/isa.h"
#include "ops/ops.h"
#include "ops/ops_kernels.h"
#include "ops/qblocks.h"
#include "ops/weight_prefetch.h"

namespace lh {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

const char *type_text(WeightType t) {
    switch (t) {
        case WeightType::F32: return " f32";
        case WeightType::BF16: return " bf16";
        case WeightType::U8_BLOCKS: return " u8 blocks";
        case WeightType::PACKED: return " packed";
    }
    return "";
}

std::string shape_text(int64_t m, const WeightMatrix &w) {
    return std::to_string(m) + "x" + std::to_string(w.cols) + " · (" + std::to_string(w.rows) + "x" +
           std::to_string(w.cols) + type_text(w.type) + ")ᵀ";
}

// Products of few activation rows (short prompts, chat turns) skip the slices: quantized
// weights use the int8 dot-product kernels (each block of 16 weight rows read once from memory,
// then reused from cache for every activation row), bf16 weights without bf16 products the f32
// dot products of their rows. Both cost the same per row whatever the number of rows, while a
// slice's expansion is paid once per product, so the slices win from some number of rows on.
// Where, measured on the TinyLlama-shaped Q4_0, Q4_K_M-like, Q8_0 and F16 files (prefill of
// 16-512 tokens, 2 threads, docs/BENCHMARKS.md "Short prompts"):
//   quantized weights, bf16 slices (AVX-512 BF16):      direct ahead up to 32 rows, behind from 64
//   quantized weights, f32 slices, AVX-512 without BF16: direct ahead up to 128 rows
//   quantized weights, f32 slices, AVX2:                 even at 64, slices ahead from 128
//   bf16 weights, f32 slices, AVX-512 without BF16:      direct ahead at 16, even at 64
//   bf16 weights, f32 slices, AVX2:                      even at 16
// The plain (generic) level keeps the earlier 8 rows: its int8 loops are not vectorised.
int64_t int8_rows_limit(bool bf16_slices) {
    if (bf16_slices) return 32;
    const cpu::Isa isa = cpu::active_isa();
    return isa >= cpu::Isa::Avx512 ? 128 : isa >= cpu::Isa::Avx2 ? 64 : 8;
}

int64_t bf16_rows_limit() { return cpu::active_isa() >= cpu::Isa::Avx512 ? 32 : 8; }

// bf16 slice of a u8-block matrix expanded for one oneDNN product: small enough to stay in L2/L3
// friendly sizes and to keep the scratch small next to the weights.
constexpr uint64_t kSliceBytes = 8u << 20;

// LONGHEADS_CPU lowers oneDNN's instruction set with ours, so that a forced level measures and
// tests what a CPU of that level runs. Must precede oneDNN's first primitive in the process.
void cap_onednn_isa() {
    static const bool done = [] {
        if (!cpu::isa_forced()) return true;
        dnnl::cpu_isa cap = dnnl::cpu_isa::all;
        switch (cpu::active_isa()) {
            case cpu::Isa::Generic: cap = dnnl::cpu_isa::sse41; break;
            case cpu::Isa::Avx2: cap = dnnl::cpu_isa::avx2; break;
            case cpu::Isa::Avx512: cap = dnnl::cpu_isa::avx512_core; break;
            case cpu::Isa::Avx512Bf16: break;
        }
        try {
            dnnl::set_max_cpu_isa(cap);
        } catch (const dnnl::error &) {
            // Too late (a primitive exists already) or refused: oneDNN keeps its own choice.
        }
        return true;
    }();
    (void)done;
}

// Whether oneDNN makes bf16 products here (2.6: only from AVX-512 on). Probed once by creating
// the two primitives the products use.
bool onednn_has_bf16(const dnnl::engine &engine) {
    static const bool yes = [&engine] {
        try {
            const dnnl::memory::desc a({2, 32}, dt::bf16, tag::ab), b({32, 32}, dt::bf16, tag::ba),
                c({2, 32}, dt::f32, tag::ab);
            const dnnl::matmul::primitive_desc mm(dnnl::matmul::desc(a, b, c), engine);
            const dnnl::memory::desc x({1, 32}, dt::bf16, tag::nc), w({32, 32}, dt::bf16, tag::oi),
                y({1, 32}, dt::f32, tag::nc);
            const dnnl::inner_product_forward::primitive_desc ip(
                dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, x, w, y), engine);
            return true;
        } catch (const dnnl::error &) {
            return false;
        }
    }();
    return yes;
}

}  // namespace

uint64_t WeightMatrix::bytes() const {
    switch (type) {
        case WeightType::F32: return static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * 4u;
        case WeightType::BF16: return static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * 2u;
        case WeightType::U8_BLOCKS: return qblocks::matrix_bytes(rows, cols, block_bits);
        case WeightType::PACKED:
            return static_cast<uint64_t>(rows) * static_cast<uint64_t>(qpacked::row_stride(packed_format, cols));
    }
    return 0;
}

qpacked::PackedView WeightMatrix::packed_view() const {
    return qpacked::view_of(packed_format, cols, static_cast<const uint8_t *>(data));
}

MatmulCache::MatmulCache(int32_t n_threads)
    : n_threads_(n_threads < 1 ? 1 : n_threads), scratch_(nullptr, std::free) {
    cap_onednn_isa();
    try {
        engine_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
        stream_ = dnnl::stream(engine_);
    } catch (const dnnl::error &e) {
        fail(LH_ERROR_INTERNAL, std::string("oneDNN CPU engine unavailable: ") + e.what());
    }
    // oneDNN also makes bf16 products on AVX-512 CPUs without the BF16 instructions, emulated.
    // There its products of many rows ran at half the speed of f32 slices, but its one-row
    // product of bf16 weights (a decoded token of an F16 file) stayed 5-25 % ahead of the f32
    // dot products of bf16 rows (docs/BENCHMARKS.md, "Short prompts").
    bf16_products_ = onednn_has_bf16(engine_);
    native_bf16_ = bf16_products_ && cpu::active_isa() >= cpu::Isa::Avx512Bf16;
    direct_rows_quantized_ = int8_rows_limit(native_bf16_);
    direct_rows_bf16_ = bf16_rows_limit();
}

MatmulCache::~MatmulCache() = default;

void MatmulCache::grow_scratch(size_t bytes) {
    if (bytes <= scratch_size_) return;
    const size_t rounded = (bytes + 4095) / 4096 * 4096;
    void *p = std::aligned_alloc(64, rounded);
    if (!p) throw std::bad_alloc();
    scratch_.reset(static_cast<uint8_t *>(p));
    scratch_size_ = rounded;
    // Every cached scratchpad memory object points at the old buffer: re-point them.
    for (auto &kv : entries_) {
        if (kv.second.scratch_bytes) kv.second.scratch.set_data_handle(scratch_.get());
    }
}

MatmulCache::Entry &MatmulCache::entry(int64_t m, const WeightMatrix &w, int64_t ldy) {
    const Key key{m, w.cols, w.rows, static_cast<uint8_t>(w.type), ldy};
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    try {
        const dt wdt = w.type == WeightType::F32 ? dt::f32 : dt::bf16;
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        Entry e;
        dnnl::memory::desc src_md, wei_md, dst_md, sp_md;
        if (m == 1 && ldy == w.rows) {
            // One row (decoding): oneDNN's inner product runs a GEMV several times faster than
            // its matmul does for M = 1 (2048 x 5632, 2 threads: bf16 0.8 vs 5.6 ms, f32 4.2 vs
            // 7.1 ms), and takes W in our [N][K] layout as "oi".
            src_md = dnnl::memory::desc({m, w.cols}, wdt, tag::nc);
            wei_md = dnnl::memory::desc({w.rows, w.cols}, wdt, tag::oi);
            dst_md = dnnl::memory::desc({m, w.rows}, dt::f32, tag::nc);
            const dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_md, wei_md, dst_md);
            const dnnl::inner_product_forward::primitive_desc pd(desc, attr, engine_);
            e.prim = dnnl::inner_product_forward(pd);
            sp_md = pd.scratchpad_desc();
        } else {
            src_md = dnnl::memory::desc({m, w.cols}, wdt, tag::ab);
            // W is [N][K] row-major: as a K x N matrix that is the transposed layout "ba".
            wei_md = dnnl::memory::desc({w.cols, w.rows}, wdt, tag::ba);
            // A slice of a larger product writes its columns of y in place (rows ldy apart).
            dst_md = ldy == w.rows ? dnnl::memory::desc({m, w.rows}, dt::f32, tag::ab)
                                   : dnnl::memory::desc({m, w.rows}, dt::f32, dnnl::memory::dims{ldy, 1});
            const dnnl::matmul::desc desc(src_md, wei_md, dst_md);
            const dnnl::matmul::primitive_desc pd(desc, attr, engine_);
            e.prim = dnnl::matmul(pd);
            sp_md = pd.scratchpad_desc();
        }
        e.src = dnnl::memory(src_md, engine_, DNNL_MEMORY_NONE);
        e.wei = dnnl::memory(wei_md, engine_, DNNL_MEMORY_NONE);
        e.dst = dnnl::memory(dst_md, engine_, DNNL_MEMORY_NONE);
        e.scratch_bytes = sp_md.get_size();
        if (e.scratch_bytes) {
            grow_scratch(e.scratch_bytes);
            e.scratch = dnnl::memory(sp_md, engine_, scratch_.get());
        }
        return entries_.emplace(key, std::move(e)).first->second;
    } catch (const dnnl::error &e) {
        fail(LH_ERROR_INTERNAL, "oneDNN cannot create the product " + shape_text(m, w) + ": " + e.what());
    }
}

void MatmulCache::prepare(int64_t m, const WeightMatrix &w) {
    if (w.type == WeightType::F32 || (w.type == WeightType::BF16 && bf16_weights_by_onednn(m))) entry(m, w, w.rows);
}

void MatmulCache::quantize_rows(const float *x, int64_t m, int64_t cols, const WeightMatrix *const *ws, int count) {
    bool per32 = false, per256 = false, q4_0 = false, q4_k = false;
    for (int i = 0; i < count; ++i) {
        const bool packed = ws[i]->type == WeightType::PACKED;
        const bool k = packed && qpacked::super_block(ws[i]->packed_format) == 256;
        per256 = per256 || k;
        per32 = per32 || !k;
        q4_0 = q4_0 || (packed && ws[i]->packed_format == qpacked::Format::Q4_0);
        q4_k = q4_k || (packed && ws[i]->packed_format == qpacked::Format::Q4_K);
    }
    const size_t n = static_cast<size_t>(m * cols);
    const int64_t nb = cols / qblocks::kBlock, nk = cols / 256;
    acts_.resize(static_cast<size_t>(m));
    if (per32) {
        if (xq_.size() < n) xq_.resize(n);
        if (xq_scales_.size() < 2 * static_cast<size_t>(m * nb)) xq_scales_.resize(2 * static_cast<size_t>(m * nb));
    }
    if (q4_0 && xq_q4_0_.size() < n) xq_q4_0_.resize(n);
    if (q4_k && xk_spans_.size() < n) xk_spans_.resize(n);
    if (per256) {
        if (xk_.size() < n) xk_.resize(n);
        if (xk_scales_.size() < static_cast<size_t>(m * nk)) xk_scales_.resize(static_cast<size_t>(m * nk));
        if (xk_sums_.size() < static_cast<size_t>(m * nk * 16)) xk_sums_.resize(static_cast<size_t>(m * nk * 16));
    }
    for (int64_t i = 0; i < m; ++i) {
        qpacked::PackedActivations &a = acts_[static_cast<size_t>(i)];
        if (per32) {
            a.a32.cols = cols;
            a.a32.q = xq_.data() + i * cols;
            a.a32.d = xq_scales_.data() + i * nb;
            a.a32.d_sum = xq_scales_.data() + m * nb + i * nb;
            qblocks::quantize_activations(x + i * cols, cols, a.a32);
            a.a32.q_q4_0 = nullptr;
            if (q4_0) {
                qpacked::order_for_q4_0(a.a32.q, cols, xq_q4_0_.data() + i * cols);
                a.a32.q_q4_0 = xq_q4_0_.data() + i * cols;
            }
        }
        if (per256) {
            a.a256.cols = cols;
            a.a256.q = xk_.data() + i * cols;
            a.a256.d = xk_scales_.data() + i * nk;
            a.a256.bsums = xk_sums_.data() + i * nk * 16;
            qpacked::quantize_k_activations(x + i * cols, cols, a.a256);
            a.a256.q_spans = nullptr;
            if (q4_k) {
                qpacked::order_for_q4_0(a.a256.q, cols, xk_spans_.data() + i * cols);
                a.a256.q_spans = xk_spans_.data() + i * cols;
            }
        }
    }
}

namespace {

// The work items of a group of products: blocks of 16 rows of every matrix, numbered matrix after
// matrix, so that a run of items is a contiguous share of each matrix it touches.
struct RowBlocks {
    int64_t starts[8];
    int64_t total = 0;
    qpacked::PackedView views[8];

    RowBlocks(const WeightMatrix *const *ws, int count) {
        for (int i = 0; i < count; ++i) {
            starts[i] = total;
            total += (ws[i]->rows + 15) / 16;
            if (ws[i]->type == WeightType::PACKED) views[i] = ws[i]->packed_view();
        }
    }
};

// Items [first, last) of b: ys[i] rows for the activations in acts (one view per row of x).
void dot_items(const std::vector<qpacked::PackedActivations> &acts, int64_t m, const WeightMatrix *const *ws,
               float *const *ys, int count, const RowBlocks &b, int64_t first, int64_t last) {
    const ops::OpsKernels &k = ops::kernels();
    int mi = 0;
    for (int64_t item = first; item < last; ++item) {
        while (mi + 1 < count && item >= b.starts[mi + 1]) ++mi;
        const WeightMatrix &w = *ws[mi];
        const int64_t r0 = (item - b.starts[mi]) * 16, r1 = std::min(w.rows, r0 + 16);
        float tmp[16];
        for (int64_t i = 0; i < m; ++i) {
            const qpacked::PackedActivations &a = acts[static_cast<size_t>(i)];
            if (w.type == WeightType::PACKED) {
                k.packed_dot_rows(b.views[mi], r0, r1, a, tmp);
            } else {
                qblocks::dot_rows(static_cast<const uint8_t *>(w.data), w.block_bits, w.block_scale, w.block_offset,
                                  w.cols, r0, r1, a.a32, tmp);
            }
            for (int64_t r = r0; r < r1; ++r) ys[mi][i * w.rows + r] = tmp[r - r0];
        }
    }
}

}  // namespace

// The fixed first runs of a group of `total` blocks (MatmulCache::first_claims).
static MatmulCache::FirstClaims fixed_runs(int64_t total, int parts) {
    MatmulCache::FirstClaims c;
    // the size the first shrinking claim had: a share of half the product
    c.each = std::min(total / parts, std::max<int64_t>(2, total / (2 * parts)));
    c.shared_from = c.each * parts;
    return c;
}

MatmulCache::FirstClaims MatmulCache::first_claims(const WeightMatrix *const *ws, int count, int parts) {
    return fixed_runs(RowBlocks(ws, count).total, parts);
}

void MatmulCache::prefetch_first_claim(const WeightMatrix *const *ws, int count, int part, int parts) {
    const RowBlocks blocks(ws, count);
    const int64_t item = fixed_runs(blocks.total, parts).each * part;
    if (item >= blocks.total) return;
    int mi = 0;
    while (mi + 1 < count && item >= blocks.starts[mi + 1]) ++mi;
    const WeightMatrix &w = *ws[mi];
    const int64_t row = (item - blocks.starts[mi]) * 16;
    const uint8_t *start = nullptr;
    int64_t left = 0;  // bytes of the matrix from `start` on
    if (w.type == WeightType::PACKED) {
        const qpacked::PackedView &v = blocks.views[mi];
        start = v.row(row);
        left = (w.rows - row) * v.row_stride;
    } else {
        const int64_t row_bytes = qblocks::row_bytes_for(w.cols, w.block_bits);
        start = static_cast<const uint8_t *>(w.data) + row * row_bytes;
        left = (w.rows - row) * row_bytes;
    }
    ops::prefetch_span(start, std::min<int64_t>(left, ops::kWeightPrefetchBytes));
}

void MatmulCache::dot_claim(int64_t m, const WeightMatrix *const *ws, float *const *ys, int count,
                            std::atomic<int64_t> &next, int part, int parts) {
    const RowBlocks blocks(ws, count);
    const FirstClaims fixed = fixed_runs(blocks.total, parts);
    dot_items(acts_, m, ws, ys, count, blocks, std::min(blocks.total, fixed.each * part),
              std::min(blocks.total, fixed.each * (part + 1)));
    // Shrinking claims (a share of what is left, at least 2 blocks): few atomic operations, and
    // the last claims small enough that both threads reach the barrier close together. `next`
    // counts the blocks claimed past the fixed runs.
    int64_t claimed = next.load(std::memory_order_relaxed);
    while (fixed.shared_from + claimed < blocks.total) {
        const int64_t first = fixed.shared_from + claimed;
        const int64_t n = std::max<int64_t>(2, (blocks.total - first) / (2 * parts));
        const int64_t last = std::min(blocks.total, first + n);
        if (!next.compare_exchange_weak(claimed, last - fixed.shared_from, std::memory_order_relaxed)) continue;
        dot_items(acts_, m, ws, ys, count, blocks, first, last);
        claimed = next.load(std::memory_order_relaxed);
    }
}

void MatmulCache::dot_quantized(int64_t m, const WeightMatrix *const *ws, float *const *ys, int count) {
    std::atomic<int64_t> next_block{0};
    omp_set_num_threads(n_threads_);
#pragma omp parallel
    dot_claim(m, ws, ys, count, next_block, omp_get_thread_num(), omp_get_num_threads());
}

bool MatmulCache::int8_group(const WeightMatrix *const *ws, int count) {
    bool ok = count >= 1 && count <= 8;
    for (int i = 0; ok && i < count; ++i)
        ok = (ws[i]->type == WeightType::U8_BLOCKS || ws[i]->type == WeightType::PACKED) && ws[i]->cols == ws[0]->cols;
    return ok;
}

void MatmulCache::reserve_one_row(int64_t max_cols) {
    const size_t n = static_cast<size_t>(max_cols);
    const size_t nb = n / qblocks::kBlock, nk = n / 256 + 1;
    if (acts_.empty()) acts_.resize(1);
    if (xq_.size() < n) xq_.resize(n);
    if (xq_q4_0_.size() < n) xq_q4_0_.resize(n);
    if (xk_spans_.size() < n) xk_spans_.resize(n);
    if (xq_scales_.size() < 2 * nb) xq_scales_.resize(2 * nb);
    if (xk_.size() < n) xk_.resize(n);
    if (xk_scales_.size() < nk) xk_scales_.resize(nk);
    if (xk_sums_.size() < nk * 16) xk_sums_.resize(nk * 16);
}

void MatmulCache::quantize_one_row(const float *x, const WeightMatrix *const *ws, int count) {
    quantize_rows(x, 1, ws[0]->cols, ws, count);
}

void MatmulCache::run_group(const float *x, int64_t m, const WeightMatrix *const *ws, float *const *ys, int count) {
    if (m <= direct_rows_quantized_ && int8_group(ws, count)) {
        quantize_rows(x, m, ws[0]->cols, ws, count);
        dot_quantized(m, ws, ys, count);
        return;
    }
    // One bf16 copy of x for every product that reads bf16 (Q/K/V, gate/up); the others read x.
    const void *x_bf16 = nullptr;
    for (int i = 0; i < count; ++i) {
        const WeightMatrix &w = *ws[i];
        if (direct(m, w)) {
            run_direct(x, m, w, ys[i]);
        } else if (bf16_input(m, w)) {
            if (x_bf16 == nullptr) x_bf16 = source_for(x, m, w);
            run_from(x_bf16, m, w, ys[i]);
        } else {
            run_from(x, m, w, ys[i]);
        }
    }
}

bool MatmulCache::direct(int64_t m, const WeightMatrix &w) const {
    const bool quantized = w.type == WeightType::U8_BLOCKS || w.type == WeightType::PACKED;
    if (quantized) return m <= direct_rows_quantized_;
    return w.type == WeightType::BF16 && !bf16_weights_by_onednn(m) && m <= direct_rows_bf16_;
}

bool MatmulCache::bf16_weights_by_onednn(int64_t m) const { return bf16_products_ && (native_bf16_ || m == 1); }

bool MatmulCache::bf16_input(int64_t m, const WeightMatrix &w) const {
    switch (w.type) {
        case WeightType::F32: return false;
        case WeightType::BF16: return bf16_weights_by_onednn(m);
        case WeightType::U8_BLOCKS:
        case WeightType::PACKED: return native_bf16_;  // the slices' element type
    }
    return false;
}

const void *MatmulCache::source_for(const float *x, int64_t m, const WeightMatrix &w) {
    if (!bf16_input(m, w)) return x;
    const int64_t n = m * w.cols;
    if (x_bf16_.size() < static_cast<size_t>(n)) x_bf16_.resize(static_cast<size_t>(n));
    uint16_t *out = x_bf16_.data();
    const ops::OpsKernels &k = ops::kernels();
    constexpr int64_t kPiece = int64_t(1) << 16;  // below this, a parallel region costs more than it saves
    if (n <= kPiece || n_threads_ == 1) {
        k.f32_to_bf16(x, out, n);
        return out;
    }
    omp_set_num_threads(n_threads_);
    const int64_t pieces = (n + kPiece - 1) / kPiece;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < pieces; ++p) {
        const int64_t a = p * kPiece;
        k.f32_to_bf16(x + a, out + a, std::min(kPiece, n - a));
    }
    return out;
}

void MatmulCache::run_quantized(const void *src, int64_t m, const WeightMatrix &w, float *y) {
    const WeightType slice = native_bf16_ ? WeightType::BF16 : WeightType::F32;
    if (w.type == WeightType::PACKED) {
        const qpacked::PackedView v = w.packed_view();
        const ops::OpsKernels &k = ops::kernels();
        run_by_slices(src, m, w, y, slice, [&](int64_t r0, int64_t n, void *dst) {
            if (slice == WeightType::BF16) k.packed_rows_to_bf16(v, r0, n, static_cast<uint16_t *>(dst));
            else k.packed_rows_to_f32(v, r0, n, static_cast<float *>(dst));
        });
        return;
    }
    const uint8_t *u = static_cast<const uint8_t *>(w.data);
    run_by_slices(src, m, w, y, slice, [&](int64_t r0, int64_t n, void *dst) {
        if (slice == WeightType::BF16)
            qblocks::rows_to_bf16(u, w.block_bits, w.block_scale, w.block_offset, w.cols, r0, n,
                                  static_cast<uint16_t *>(dst));
        else
            qblocks::rows_to_f32(u, w.block_bits, w.block_scale, w.block_offset, w.cols, r0, n,
                                 static_cast<float *>(dst));
    });
}

void MatmulCache::run_direct(const float *x, int64_t m, const WeightMatrix &w, float *y) {
    omp_set_num_threads(n_threads_);
    if (w.type == WeightType::U8_BLOCKS || w.type == WeightType::PACKED) {
        const WeightMatrix *ws[1] = {&w};
        float *ys[1] = {y};
        quantize_rows(x, m, w.cols, ws, 1);
        dot_quantized(m, ws, ys, 1);
        return;
    }
    // bf16 weights without oneDNN bf16 products: f32 dot products of the bf16 rows.
    const uint16_t *wd = static_cast<const uint16_t *>(w.data);
    const ops::OpsKernels &k = ops::kernels();
    const int64_t n_blocks = (w.rows + 15) / 16;
#pragma omp parallel for schedule(static)
    for (int64_t rb = 0; rb < n_blocks; ++rb) {
        const int64_t r0 = rb * 16, r1 = std::min(w.rows, r0 + 16);
        float tmp[16];
        for (int64_t i = 0; i < m; ++i) {
            k.bf16_dot_rows(wd, w.cols, r0, r1, x + i * w.cols, tmp);
            for (int64_t r = r0; r < r1; ++r) y[i * w.rows + r] = tmp[r - r0];
        }
    }
}

template <class Expand>
void MatmulCache::run_by_slices(const void *src, int64_t m, const WeightMatrix &w, float *y, WeightType slice_type,
                                const Expand &expand) {
    const int64_t cols = w.cols;
    const uint64_t elem = slice_type == WeightType::F32 ? 4u : 2u;
    int64_t slice_rows = static_cast<int64_t>(kSliceBytes / (elem * static_cast<uint64_t>(cols))) / 16 * 16;
    slice_rows = std::max<int64_t>(16, std::min(slice_rows, w.rows));
    const size_t wn = static_cast<size_t>(slice_rows * cols) * elem;
    if (w_slice_.size() < wn) w_slice_.resize(wn);
    omp_set_num_threads(n_threads_);
    for (int64_t r0 = 0; r0 < w.rows; r0 += slice_rows) {
        const int64_t n = std::min(slice_rows, w.rows - r0);
        uint8_t *ws = w_slice_.data();
        const int64_t n_blocks = (n + 15) / 16;
#pragma omp parallel for schedule(static)
        for (int64_t rb = 0; rb < n_blocks; ++rb) {
            const int64_t a = rb * 16, b = std::min(n, a + 16);
            expand(r0 + a, b - a, ws + static_cast<uint64_t>(a * cols) * elem);
        }
        WeightMatrix slice;
        slice.rows = n;
        slice.cols = cols;
        slice.type = slice_type;
        slice.data = ws;
        // The slice's columns of y, in place: rows of y are w.rows apart.
        multiply(src, m, slice, y + r0, w.rows);
    }
}

void MatmulCache::run(const float *x, int64_t m, const WeightMatrix &w, float *y) {
    if (direct(m, w)) {
        run_direct(x, m, w, y);
        return;
    }
    run_from(source_for(x, m, w), m, w, y);
}

void MatmulCache::run_from(const void *src, int64_t m, const WeightMatrix &w, float *y) {
    if (w.type == WeightType::U8_BLOCKS || w.type == WeightType::PACKED) {
        run_quantized(src, m, w, y);
        return;
    }
    if (w.type == WeightType::BF16 && !bf16_weights_by_onednn(m)) {
        // f32 slices multiplied by oneDNN (src is x itself: bf16_input is false here)
        const uint16_t *wd = static_cast<const uint16_t *>(w.data);
        const ops::OpsKernels &k = ops::kernels();
        run_by_slices(src, m, w, y, WeightType::F32, [&](int64_t r0, int64_t n, void *dst) {
            k.bf16_to_f32(wd + r0 * w.cols, static_cast<float *>(dst), n * w.cols);
        });
        return;
    }
    multiply(src, m, w, y, w.rows);
}

void MatmulCache::multiply(const void *src, int64_t m, const WeightMatrix &w, float *y, int64_t ldy) {
    Entry &e = entry(m, w, ldy);
    // The OpenMP team size is a per-thread setting: set it on whichever thread runs us now.
    omp_set_num_threads(n_threads_);
    try {
        e.src.set_data_handle(const_cast<void *>(src));
        e.wei.set_data_handle(const_cast<void *>(w.data));
        e.dst.set_data_handle(y);
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, e.src}, {DNNL_ARG_WEIGHTS, e.wei}, {DNNL_ARG_DST, e.dst}};
        if (e.scratch_bytes) args.emplace(DNNL_ARG_SCRATCHPAD, e.scratch);
        e.prim.execute(stream_, args);
        stream_.wait();
    } catch (const dnnl::error &err) {
        fail(LH_ERROR_INTERNAL, "oneDNN matmul " + shape_text(m, w) + " failed: " + err.what());
    }
}

}  // namespace lh
