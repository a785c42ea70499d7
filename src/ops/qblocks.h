// Quantized weights kept quantized: the "u8 blocks" layout every supported ggml type converts to
// without loss, and the products that read it (int8 dot products for decoding, bf16 tiles for
// prefill).
//
// The products and expansions run on the active instruction-set level (ops/ops_kernels.h).
//
// Layout of a [rows][cols] matrix (cols a multiple of 32): per row, cols unsigned bytes `u`, and
// per block of 32 consecutive elements one float scale `s` and one float offset `c`; element
// value = s * u + c. ggml's 32-element types and the 4/5-bit K-quants all have this form:
//   q8_0  u = q + 128   s = d        c = -128 d
//   q4_0  u = nibble    s = d        c = -8 d
//   q5_0  u = 5 bits    s = d        c = -16 d
//   q4_1  u = nibble    s = d        c = m
//   q5_1  u = 5 bits    s = d        c = m
//   q4_K  u = nibble    s = d * sc   c = -dmin * mn    (per 32-element sub-block)
//   q5_K  u = 5 bits    s = d * sc   c = -dmin * mn
// (q6_K has a scale per 16 elements and the remaining types none of these forms: they are
// expanded to bf16 instead.) 4-bit types keep `u` packed two per byte (0.75 bytes per weight with
// the block factors), the others one per byte (1.25): the packing of a 4-bit row pairs blocks,
// byte j of the 32 bytes of blocks (2p, 2p+1) holding element j of block 2p in its low nibble and
// element j of block 2p+1 in its high nibble (an odd last block: 16 bytes, elements j and j+16).
#pragma once

#include <cstdint>

#include "numeric/tensor_types.h"
#include "ops/ops_kernels.h"  // kBlock, QuantizedActivations, unpack_block

namespace lh {
namespace qblocks {

// True for the ggml types listed above.
bool supports(TensorType type);
// Bits per element of `u` the type is kept in: 4 for q4_0, q4_1, q4_K; 8 otherwise.
int bits_for(TensorType type);

// Converts one row of `cols` elements of `type` (supports(type) must hold) into one byte per
// element in u[cols]; pack_row then stores it with `bits` per element.
void convert_row(TensorType type, const void *src, int64_t cols, uint8_t *u, float *scale, float *offset);
void pack_row(const uint8_t *u, int64_t cols, int bits, uint8_t *out);

inline int64_t row_bytes_for(int64_t cols, int bits) { return bits == 4 ? cols / 2 : cols; }

// Bytes of a [rows][cols] matrix in this layout.
inline uint64_t matrix_bytes(int64_t rows, int64_t cols, int bits) {
    return static_cast<uint64_t>(rows) * static_cast<uint64_t>(row_bytes_for(cols, bits)) +
           static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols / kBlock) * 2u * sizeof(float);
}

// Element values of rows [row0, row0 + n_rows) rounded to bfloat16, into out[n_rows][cols]:
// s * u + c with one rounding (fma), so q8_0/q4_0/q5_0 give exactly ggml's d * q.
void rows_to_bf16(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
                  int64_t n_rows, uint16_t *out);
// The same in f32 (for CPUs where oneDNN has no bf16 product).
void rows_to_f32(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
                 int64_t n_rows, float *out);

// Quantizes one row of activations (QuantizedActivations in ops/ops_kernels.h).
void quantize_activations(const float *x, int64_t cols, QuantizedActivations &out);

// y[row] = sum over blocks of d_b * (s_b * sum(u * q) + c_b * sum(q)) for rows [row0, row1) of
// the matrix against one quantized activation row (y indexed from row0).
void dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols, int64_t row0,
              int64_t row1, const QuantizedActivations &x, float *y);

}  // namespace qblocks
}  // namespace lh
