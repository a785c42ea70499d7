#include "ops/ops.h"

#include <cmath>

#include "numeric/tensor_types.h"
#include "ops/ops_kernels.h"

namespace lh {
namespace ops {

void rms_norm(const float *x, const float *weight, float *y, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
    if (weight) {
        for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
    }
}

void rms_norm_rows(const float *x, const float *weight, float *y, int64_t rows, int64_t n, float eps) {
    for (int64_t r = 0; r < rows; ++r) rms_norm(x + r * n, weight, y + r * n, n, eps);
}

void silu(float *x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void swiglu(const float *gate, const float *up, float *out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

void softmax(float *x, int64_t n) {
    float max = x[0];
    for (int64_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void scale(float *x, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void add_scaled(float *y, float *x, float s, int64_t n) {
    if (s != 0.0f) scale(x, s, n);
    add(y, x, n);
}

void to_bf16(const float *x, uint16_t *y, int64_t n) { kernels().f32_to_bf16(x, y, n); }

}  // namespace ops
}  // namespace lh
