// Element-wise and row-wise kernels of the forward pass: plain loops the compiler vectorises.
#pragma once

#include <cstdint>

namespace lh {
namespace ops {

// y = x / sqrt(mean(x^2) + eps) * weight, one row of n (weight may be null: no scaling).
// The sum of squares is accumulated in double, as llama.cpp does. y may alias x.
void rms_norm(const float *x, const float *weight, float *y, int64_t n, float eps);

// rms_norm over `rows` rows of n contiguous elements.
void rms_norm_rows(const float *x, const float *weight, float *y, int64_t rows, int64_t n, float eps);

// x = x * sigmoid(x), in place.
void silu(float *x, int64_t n);

// out = silu(gate) * up (SwiGLU); out may alias gate or up.
void swiglu(const float *gate, const float *up, float *out, int64_t n);

// Numerically stable softmax in place (max subtracted); n >= 1.
void softmax(float *x, int64_t n);

// y += x.
void add(float *y, const float *x, int64_t n);

// x *= s.
void scale(float *x, float s, int64_t n);

// y += x * s, rounding x * s to float first (ggml's scale, then add). s == 0 means no scale: y += x.
void add_scaled(float *y, float *x, float s, int64_t n);

// Convert n floats to bfloat16 (round to nearest even).
void to_bf16(const float *x, uint16_t *y, int64_t n);

}  // namespace ops
}  // namespace lh
