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
};

// The 32 values of block b (of nb) of a packed row, one per byte (plain C++, any level).
void unpack_block(const uint8_t *row, int64_t b, int64_t nb, int bits, uint8_t out[kBlock]);

}  // namespace qblocks

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
};

namespace generic { void fill(OpsKernels &t); }
namespace avx2 { void fill(OpsKernels &t); }
namespace avx512bf16 { void fill(OpsKernels &t); }

// The kernels of the active level (cpu::active_isa()); kernels_for: any level that runs here,
// nullptr for the others (tests compare them).
const OpsKernels &kernels();
const OpsKernels *kernels_for(cpu::Isa isa);

}  // namespace ops
}  // namespace lh
