// Dequantizers of q2_K, q3_K, iq4_nl and iq4_xs (dequantize_row in numeric/tensor_types.h calls
// them). Each converts nb whole blocks at src (any alignment) to floats.
#pragma once

#include <cstdint>

namespace lh {
namespace numeric {

void dequantize_q2_K(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q3_K(const uint8_t *src, float *dst, int64_t nb);
void dequantize_iq4_nl(const uint8_t *src, float *dst, int64_t nb);
void dequantize_iq4_xs(const uint8_t *src, float *dst, int64_t nb);

}  // namespace numeric
}  // namespace lh
