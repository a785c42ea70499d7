// Quantized weights re-laid out for the decode kernels in exactly the bytes of the file's blocks:
// the quants of a row in one plane, ordered so that one vector load and a mask or shift give 64
// consecutive elements, and the block factors of the row in another, right before it (row_stride
// below). Decoding reads a packed matrix once per token, so it reads as many bytes as the file
// holds, plus at most 1/32 of line padding (the ops/qblocks.h layout,
// which the other 32-element types still use, spends 8 bytes of float factors per 32 elements).
//
// A row of `cols` elements (a multiple of 32, of 256 for the K formats and IQ4_XS) is cut into
// groups of 128 consecutive elements (the last group of a Q4_0, Q8_0 or IQ4_NL row may hold 32, 64
// or 96). Per row:
//
//   Q4_0  quants: per span of 512 elements (16 blocks), 256 bytes interleaved by block: the 16
//               nibble bytes of block i in ggml's order (byte m: element 32 i + m low, 32 i + 16 + m
//               high) cut into 4 runs of 4, run j at byte 64 j + 4 i. So one 64-byte load holds 4
//               bytes of each of the 16 blocks, and a 4-byte dot product lane sums one block only
//               (one float step per 16 blocks). The rest of the row (cols % 512) in groups of n
//               elements as IQ4_NL's: n/2 bytes, byte j holds element j in its low nibble and
//               element n/2 + j in its high nibble (u = q, 0..15)
//         meta:  f16 d per 32 elements                       value = d (u - 8)       18 B / 32
//   Q8_0  quants: one byte per element, u = q + 128
//         meta:  f16 d per 32 elements                       value = d (u - 128)     34 B / 32
//   Q4_K  quants: whole spans of 512 elements (2 blocks of 256) as Q4_0's, with sub-block i of
//                32 elements (of 16 per span) in the place of Q4_0's block i, so that a dot product
//                lane sums one sub-block only and its scale is applied once per span; a last odd
//                block of 256 in two groups of 128 as IQ4_NL's
//         meta:  per 256 elements the block's own 16 header bytes: f16 d, f16 dmin, 12 bytes of
//                6-bit scales and mins (ggml's packing)   value = d sc_s u - dmin mn_s, s = e / 32
//                                                                                  144 B / 256
//   Q5_K  quants: nibbles in groups of 128 as IQ4_NL's for the whole row, then per 256 elements
//                32 bytes of fifth bits: bit s of byte l belongs to element 32 s + l (ggml's qh)
//         meta:  as Q4_K                                     u = nibble | fifth bit << 4   176 B / 256
//   Q6_K  quants: nibbles as Q5_K's for the whole row (low 4 bits), then per group of 128 elements 32
//                bytes of high bit pairs: byte j holds those of elements j, 32 + j, 64 + j, 96 + j
//                in bits 0-1, 2-3, 4-5, 6-7 (ggml's qh; the nibbles too are ggml's ql order)
//         meta:  per 256 elements 16 int8 scales (one per 16 elements) then f16 d
//                                                            value = d sc_g (u - 32), g = e / 16
//                                                                                  210 B / 256
//   IQ4_NL quants: per group of n elements (128, or 32, 64 or 96 at the end), n/2 bytes; byte j
//                holds element j in its low nibble and element n/2 + j in its high nibble
//                (i = the file's 4-bit index, 0..15)
//         meta:  f16 d per 32 elements                       value = d L[i]          18 B / 32
//   IQ4_XS quants: nibbles as Q5_K's (the file's 4-bit indexes)
//         meta:  per 256 elements the block's own 8 header bytes: f16 d, u16 scales_h, 4 bytes
//                scales_l (6-bit scale ls_s of sub-block s = e / 32)
//                                                            value = (d (ls_s - 32)) L[i]
//                                                                                  136 B / 256
//   Q2_K  quants: per group of 128 elements 32 bytes of 2-bit values: byte j holds elements j,
//                32 + j, 64 + j, 96 + j in bits 0-1, 2-3, 4-5, 6-7 (ggml's qs, as it is)
//         meta:  per 256 elements the 16 bytes of scales (low nibble) and mins (high), one per 16
//                elements, then f16 d, f16 dmin        value = d sc_g u - dmin mn_g, g = e / 16
//                                                                                  84 B / 256
//   Q3_K  quants: the 2-bit plane as Q2_K's for the whole row, then per 256 elements 32 bytes of
//                high bits: bit s of byte l belongs to element 32 s + l (ggml's hmask)
//         meta:  per 256 elements ggml's 12 bytes of 6-bit scales, then f16 d
//                                  u = 2 bits | high bit << 2, value = d (sc_g - 32) (u - 4)
//                                                                                  110 B / 256
//   L = numeric/iq4_levels.h's table (int8, -127..113). The kernels read i as u = L[i] + 128, an
//   unsigned byte as Q8_0's, through a 16-byte table lookup (a byte shuffle in the vector levels).
// The element values are exactly what numeric/tensor_types.h's dequantizers give for the same
// blocks (same formulas, same order of float operations).
#pragma once

#include <cstdint>

#include "numeric/tensor_types.h"
#include "ops/ops_kernels.h"  // Format, PackedView, the activation layouts, the kernels

namespace lh {
namespace qpacked {

// The packed format of a ggml type, if it has one and `cols` suits it.
bool format_for(TensorType type, int64_t cols, Format *out);
const char *format_name(Format f);
// Whether bf16 precision keeps a matrix of this format packed on the active level: where its decode
// kernel beats the product of the bf16 expansion (docs/BENCHMARKS.md, "Packed or expanded"). Q2_K,
// Q3_K, IQ4_NL and IQ4_XS from AVX2 on only: their generic kernels lose to the bf16 product.
bool keep_packed(Format f);
// Elements per block of scale factors (32, or 256 for the K formats and IQ4_XS).
int64_t super_block(Format f);

// Activations in the order the Q4_0 and Q4_K kernels read them (the layout above): per whole span of 512,
// out[64 (2 j + h) + 4 i + t] = q[32 i + 16 h + 4 j + t] (block i, half h, run j, byte t), so that
// one 64-byte load meets the 4 weight bytes of each block that one weight load holds; the rest
// of the row is copied as it is. The decode products fill QuantizedActivations::q_q4_0 and
// KActivations::q_spans with it.
void order_for_q4_0(const int8_t *q, int64_t cols, int8_t *out);

// Bytes per row of each plane.
int64_t quant_row_bytes(Format f, int64_t cols);
int64_t meta_row_bytes(Format f, int64_t cols);

// A packed matrix keeps each row's two planes together, so that a decode product reads one
// stream: the row's meta, then its quants. Where it costs at most 1/32 of the row's bytes, zero
// bytes pad the meta and the row to multiples of 64, so the quants' loads stay within their lines
// (every format from 4,096 elements on, and most from 2,048: of TinyLlama's rows of 2,048 and
// 5,632, all but Q2_K's of 2,048); narrower rows stay dense, so a tiny model does not grow. Two
// separate planes decoded 2-12 % slower (docs/BENCHMARKS.md, "One stream per packed matrix").
struct RowLayout {
    int64_t meta_bytes;    // the row's block factors, at its start
    int64_t quant_offset;  // from the row's start to its quants
    int64_t quant_bytes;
    int64_t stride;        // from one row's start to the next
};
RowLayout row_layout(Format f, int64_t cols);
int64_t row_stride(Format f, int64_t cols);  // row_layout(f, cols).stride
// One row of ggml blocks -> its packed bytes at `row` (row_stride bytes, padding zeroed).
void pack_matrix_row(Format f, const void *src, int64_t cols, uint8_t *row);
// The view of a packed matrix whose rows start at `data`.
PackedView view_of(Format f, int64_t cols, const uint8_t *data);

// One row of ggml blocks of the format's type -> its two planes.
void pack_row(Format f, const void *src, int64_t cols, uint8_t *quants, uint8_t *meta);
// The float values of one packed row (the reference for the kernels' tests).
void unpack_row(Format f, const uint8_t *quants, const uint8_t *meta, int64_t cols, float *out);

// Quantizes one row of activations for the 256-element formats (KActivations in ops/ops_kernels.h), on the
// active instruction-set level; the products and expansions are the level's kernels' entries.
void quantize_k_activations(const float *x, int64_t cols, KActivations &out);

}  // namespace qpacked
}  // namespace lh
