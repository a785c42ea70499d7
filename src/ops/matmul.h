// Matrix products through oneDNN (2.x API): y[M,N] = x[M,K] · Wᵀ with W stored [N][K]
// (matmul primitives; an inner-product primitive, oneDNN's GEMV, for single rows).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/aligned_vector.h"
#include "ops/qblocks.h"
#include "ops/qpacked.h"

namespace lh {

enum class WeightType : uint8_t {
    F32 = 0,
    BF16 = 1,
    U8_BLOCKS = 2,  // quantized weights in the ops/qblocks.h layout (8 or 4 bits per element)
    PACKED = 3,     // quantized weights in an ops/qpacked.h format (the file's bytes, re-laid out)
};

// A borrowed weight matrix: `rows` (= N, output features) rows of `cols` (= K, input features)
// contiguous elements of `type` (float or bfloat16 bits, u8 with per-block scale and offset, or a
// packed format's rows of block factors and quants, qpacked::row_stride bytes each).
struct WeightMatrix {
    int64_t rows = 0;
    int64_t cols = 0;
    WeightType type = WeightType::F32;
    const void *data = nullptr;
    const float *block_scale = nullptr;   // U8_BLOCKS only: [rows][cols / 32]
    const float *block_offset = nullptr;  // U8_BLOCKS only: [rows][cols / 32]
    int32_t block_bits = 8;               // U8_BLOCKS only: 8, or 4 (two elements per byte)
    qpacked::Format packed_format = qpacked::Format::Q4_0;  // PACKED only

    uint64_t bytes() const;
    // PACKED only: the matrix as the kernels see it.
    qpacked::PackedView packed_view() const;
};

// One engine and stream, the primitives created so far (one per shape class M x K x N x type)
// and a user-managed scratchpad. Owned by one context: not thread-safe, but movable between
// threads, since no oneDNN state is tied to the thread that made it.
class MatmulCache {
public:
    // n_threads: OpenMP threads oneDNN may use (set on the calling thread before each product).
    explicit MatmulCache(int32_t n_threads);
    ~MatmulCache();
    MatmulCache(const MatmulCache &) = delete;
    MatmulCache &operator=(const MatmulCache &) = delete;

    // Create (if needed) the primitive for this shape class without running it.
    void prepare(int64_t m, const WeightMatrix &w);

    // y[m, w.rows] = x[m, w.cols] · wᵀ. f32 weights: f32 product; bf16 weights: x is converted to
    // bf16 and the product accumulates in f32 (where bf16 products are not used, x stays f32); u8 blocks: see run_u8_blocks. Throws lh::Error(LH_ERROR_INTERNAL) when oneDNN
    // refuses the shape.
    void run(const float *x, int64_t m, const WeightMatrix &w, float *y);

    // ys[i] = x · ws[i]ᵀ for i < count (same input, e.g. Q/K/V or gate/up). When every matrix is
    // quantized (u8 blocks or packed) and m is small, the activations are quantized once and all
    // products share one parallel region (one wake-up of the thread team instead of `count`);
    // otherwise run() each.
    void run_group(const float *x, int64_t m, const WeightMatrix *const *ws, float *const *ys, int count);

    // For a caller that runs the int8 products inside its own parallel region (the one-token
    // pass, model/forward_decode.cpp), in this order:
    // - int8_group: whether run_group multiplies these matrices (one row) with int8 dot products;
    static bool int8_group(const WeightMatrix *const *ws, int count);
    // - reserve_one_row, before the region: sizes the buffers for one row of up to max_cols, so
    //   that nothing inside the region allocates (an exception may not leave it);
    void reserve_one_row(int64_t max_cols);
    // - quantize_one_row, on one thread: x quantized as ws read it;
    void quantize_one_row(const float *x, const WeightMatrix *const *ws, int count);
    // - then, after a barrier, dot_claim on every thread of the team: ys[i] = x · ws[i]ᵀ, in blocks
    //   of 16 rows. Thread `part` first takes a fixed run of blocks (first_claims), then claims
    //   the rest through `next` (set to 0 before the barrier) in shrinking runs.
    //   Claimed, not split in equal shares: a thread slowed by another process, or a share that
    //   holds more of the costlier matrices (Q6_K beside Q4_K), would keep its partner waiting at
    //   the next barrier.
    void dot_claim(int64_t m, const WeightMatrix *const *ws, float *const *ys, int count, std::atomic<int64_t> &next,
                   int part, int parts);
    // The fixed first runs: thread p takes blocks [p * each, (p + 1) * each); the claims start at
    // shared_from. Fixed so that a thread knows its first weights before the product's input is
    // ready (prefetch_first_claim).
    struct FirstClaims {
        int64_t each = 0, shared_from = 0;
    };
    static FirstClaims first_claims(const WeightMatrix *const *ws, int count, int parts);
    // Requests the first bytes of thread `part`'s fixed run, those the kernels' own prefetch
    // (ops/weight_prefetch.h) does not cover, while the thread waits for the product's input.
    static void prefetch_first_claim(const WeightMatrix *const *ws, int count, int part, int parts);

    size_t n_primitives() const { return entries_.size(); }
    uint64_t scratchpad_bytes() const { return scratch_size_; }
    int32_t n_threads() const { return n_threads_; }
    // Whether the product of m rows by w reads x as bf16 (oneDNN's bf16 products): bf16 weights
    // where oneDNN has bf16 products, on CPUs without BF16 instructions only for one row;
    // quantized weights' slices only where the CPU has BF16 instructions. Otherwise f32.
    bool bf16_input(int64_t m, const WeightMatrix &w) const;
    // Up to this many activation rows, quantized weights take the int8 dot-product kernels rather
    // than expanded slices (set from the instruction-set level; see ops/matmul.cpp).
    int64_t direct_rows_quantized() const { return direct_rows_quantized_; }

private:
    struct Entry {
        dnnl::primitive prim;  // inner product for m = 1, matmul otherwise
        dnnl::memory src, wei, dst, scratch;
        size_t scratch_bytes = 0;
    };
    using Key = std::tuple<int64_t, int64_t, int64_t, uint8_t, int64_t>;  // m, cols, rows, type, ldy
    // The primitive of this shape class writing rows of y ldy floats apart.
    Entry &entry(int64_t m, const WeightMatrix &w, int64_t ldy);
    // y = src · wᵀ by oneDNN, src already in the form w's product reads (source_for), rows of y
    // ldy floats apart.
    void multiply(const void *src, int64_t m, const WeightMatrix &w, float *y, int64_t ldy);
    // True when this product skips oneDNN (run_direct): few rows of quantized weights (int8 dot
    // products straight from the blocks) or of bf16 weights where bf16 products are not used.
    bool direct(int64_t m, const WeightMatrix &w) const;
    void run_direct(const float *x, int64_t m, const WeightMatrix &w, float *y);
    bool bf16_weights_by_onednn(int64_t m) const;
    // x in the form the product reads (bf16_input): converted once into x_bf16_, or x itself.
    const void *source_for(const float *x, int64_t m, const WeightMatrix &w);
    // y = x · wᵀ through oneDNN from src = source_for(x, m, w).
    void run_from(const void *src, int64_t m, const WeightMatrix &w, float *y);
    // Quantized weights (u8 blocks, packed) for more rows than run_direct takes (prefill): the
    // blocks are expanded to bf16 (f32 where bf16 products are not used) a slice of the matrix
    // at a time and multiplied by oneDNN.
    void run_quantized(const void *src, int64_t m, const WeightMatrix &w, float *y);
    // y = src · wᵀ with w expanded slice by slice into slice_type (F32 or BF16) by
    // expand(first row, rows, destination); each slice's product writes its columns of y.
    template <class Expand>
    void run_by_slices(const void *src, int64_t m, const WeightMatrix &w, float *y, WeightType slice_type,
                       const Expand &expand);
    // Quantizes m rows of `cols` activations as the matrices ws[0..count) read them (per 32 for
    // u8 blocks, Q4_0, Q8_0 and IQ4_NL; per 256 for the K formats and IQ4_XS) into the views in
    // acts_.
    void quantize_rows(const float *x, int64_t m, int64_t cols, const WeightMatrix *const *ws, int count);
    // The int8 products of `count` quantized matrices against the activations in acts_.
    void dot_quantized(int64_t m, const WeightMatrix *const *ws, float *const *ys, int count);
    void grow_scratch(size_t bytes);

    int32_t n_threads_;
    bool bf16_products_ = false;  // oneDNN makes bf16 products (native or emulated)
    bool native_bf16_ = false;    // ... and the CPU has the BF16 instructions
    int64_t direct_rows_quantized_ = 8, direct_rows_bf16_ = 8;  // see direct(): set by the level
    dnnl::engine engine_;
    dnnl::stream stream_;
    std::map<Key, Entry> entries_;
    std::unique_ptr<uint8_t, void (*)(void *)> scratch_;
    size_t scratch_size_ = 0;
    std::vector<uint16_t> x_bf16_;
    // Activations quantized per 32 and per 256, each also in the order of the packed Q4_0 and
    // Q4_K kernels' spans (qpacked::order_for_q4_0). From a line boundary: the kernels load them
    // 64 bytes at a time.
    LineAlignedVector<int8_t> xq_, xk_, xq_q4_0_, xk_spans_;
    std::vector<float> xq_scales_, xk_scales_;
    LineAlignedVector<int16_t> xk_sums_;
    std::vector<qpacked::PackedActivations> acts_;  // views of one row each
    std::vector<uint8_t> w_slice_;    // bf16 or f32 slice of a u8-block or bf16 matrix (prefill)
};

}  // namespace lh
