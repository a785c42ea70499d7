// Kernels of the matrix products that oneDNN does not do for us: the products and expansions of
// quantized weights kept in the u8-block layout (ops/qblocks.h), and f32 products of bf16
// weights on CPUs where oneDNN has no bf16 product (before AVX-512). One table per
// instruction-set level, filled bottom-up and chosen once per process, exactly as the attention
// kernels (attention/kernel_table.h explains how to add one, and the rules for level files).
#pragma once

#include <cstdint>

#include "cpu/isa.h"

namespace lh {
namespace qblocks {

constexpr int64_t kBlock = 32;

// Activations quantized as ggml's q8_0 does before its integer dot products: per block of 32,
// d = max|x| / 127 and q = round(x / d); plus, per block, d * sum(q) for the offset term.
struct QuantizedActivations {
    int64_t cols = 0;
    int8_t *q = nullptr;        // [cols]
    float *d = nullptr;         // [cols / 32]
    float *d_sum = nullptr;     // [cols / 32]
    // Optional [cols]: q as qpacked::order_for_q4_0 orders it, which the packed Q4_0 kernels read
    // (without it they take the plain loop).
    const int8_t *q_q4_0 = nullptr;
};

// The 32 values of block b (of nb) of a packed row, one per byte (plain C++, any level).
void unpack_block(const uint8_t *row, int64_t b, int64_t nb, int bits, uint8_t out[kBlock]);

}  // namespace qblocks

namespace qpacked {

// Formats of quantized weights packed for the decode kernels (layouts in ops/qpacked.h).
enum class Format : int32_t {
    Q4_0 = 0, Q8_0 = 1, Q4_K = 2, Q5_K = 3, Q6_K = 4, IQ4_NL = 5, IQ4_XS = 6, Q2_K = 7, Q3_K = 8
};
constexpr int32_t kFormatCount = 9;

// Elements per block-interleaved span of a packed Q4_0 or Q4_K row (the rest of the row is in
// groups of 128; layout in ops/qpacked.h). Q4_K's sub-blocks of 32 take the places of Q4_0's blocks.
constexpr int64_t kQ4_0Span = 512;
// The columns of a Q4_0 row that lie in whole spans, and the bytes of one span's quants.
constexpr int64_t q4_0_spanned(int64_t cols) { return cols / kQ4_0Span * kQ4_0Span; }
constexpr int64_t kQ4_0SpanBytes = kQ4_0Span / 2;
// The columns of a row of format f that lie in interleaved spans (none but Q4_0's and Q4_K's).
constexpr int64_t spanned_cols(Format f, int64_t cols) {
    return f == Format::Q4_0 || f == Format::Q4_K ? q4_0_spanned(cols) : 0;
}

// A packed matrix as the kernels see it: rows of `cols` elements, row r at data + r row_stride,
// its block factors (meta) first and its quants quant_offset bytes later (ops/qpacked.h).
struct PackedView {
    Format format = Format::Q4_0;
    int64_t cols = 0;
    const uint8_t *data = nullptr;
    int64_t row_stride = 0;
    int64_t quant_offset = 0;

    const uint8_t *row(int64_t r) const { return data + r * row_stride; }
    const uint8_t *meta_of(int64_t r) const { return row(r); }
    const uint8_t *quants_of(int64_t r) const { return row(r) + quant_offset; }
};

// Activations quantized as ggml's q8_K does before its K-quant dot products: per block of 256,
// d = max|x| / 127 and q = round(x / d), plus the sum of each 16 q.
struct KActivations {
    int64_t cols = 0;
    int8_t *q = nullptr;        // [cols]
    float *d = nullptr;         // [cols / 256]
    int16_t *bsums = nullptr;   // [cols / 16]
    // Optional [cols]: q as qpacked::order_for_q4_0 orders it, which the packed Q4_K kernels read
    // in the row's spans (without it they take the plain loop).
    const int8_t *q_spans = nullptr;
};

// One activation row in the quantization each format reads: a32 (per 32) for Q4_0, Q8_0 and
// IQ4_NL, a256 for the K formats (Q2_K .. Q6_K) and IQ4_XS.
struct PackedActivations {
    qblocks::QuantizedActivations a32;
    KActivations a256;
};

}  // namespace qpacked

namespace ops {

struct OpsKernels {
    // qblocks::dot_rows (ops/qblocks.h).
    void (*qblocks_dot_rows)(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                             int64_t row0, int64_t row1, const qblocks::QuantizedActivations &x, float *y);
    // qblocks::rows_to_bf16 and rows_to_f32.
    void (*qblocks_rows_to_bf16)(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                                 int64_t row0, int64_t n_rows, uint16_t *out);
    void (*qblocks_rows_to_f32)(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                                int64_t row0, int64_t n_rows, float *out);
    // qblocks::quantize_activations.
    void (*quantize_activations)(const float *x, int64_t cols, qblocks::QuantizedActivations &out);
    // y[r - row0] = w_r . x, f32 products and sums, for rows [row0, row1) of a [rows][cols]
    // bf16 matrix w.
    void (*bf16_dot_rows)(const uint16_t *w, int64_t cols, int64_t row0, int64_t row1, const float *x, float *y);
    // y[0..n) = x[0..n) as floats (exact).
    void (*bf16_to_f32)(const uint16_t *x, float *y, int64_t n);
    // y[0..n) = x[0..n) rounded to bfloat16 (nearest even, NaN kept quiet): the activations of
    // a bf16 product.
    void (*f32_to_bf16)(const float *x, uint16_t *y, int64_t n);

    // Packed formats (ops/qpacked.h). y[r - row0] = w_r . x for rows [row0, row1): int8 dot
    // products against the activations the format reads, integer sums exact, float factors per
    // block (Q4_0, Q8_0, IQ4_NL) or per 256 elements (K formats, IQ4_XS).
    void (*packed_dot_rows)(const qpacked::PackedView &w, int64_t row0, int64_t row1,
                            const qpacked::PackedActivations &x, float *y);
    // Element values of rows [row0, row0 + n_rows) into out[n_rows][cols], rounded to bfloat16,
    // or as floats (within one rounding of the dequantizers' values: a level with FMA may fuse).
    void (*packed_rows_to_bf16)(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, uint16_t *out);
    void (*packed_rows_to_f32)(const qpacked::PackedView &w, int64_t row0, int64_t n_rows, float *out);
    // qpacked::quantize_k_activations.
    void (*quantize_k_activations)(const float *x, int64_t cols, qpacked::KActivations &out);
};

// Each level's fill() sets its entries; fill_packed() (qpacked_kernels_<level>.cpp) the packed ones.
namespace generic { void fill(OpsKernels &t); void fill_packed(OpsKernels &t); }
namespace avx2 { void fill(OpsKernels &t); void fill_packed(OpsKernels &t); }
namespace avx512 { void fill(OpsKernels &t); void fill_packed(OpsKernels &t); }
namespace avx512bf16 { void fill(OpsKernels &t); void fill_packed(OpsKernels &t); }

// The kernels of the active level (cpu::active_isa()); kernels_for: any level that runs here,
// nullptr for the others (tests compare them).
const OpsKernels &kernels();
const OpsKernels *kernels_for(cpu::Isa isa);

}  // namespace ops
}  // namespace lh
