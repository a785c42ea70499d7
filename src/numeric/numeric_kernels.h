// Element conversions worth an instruction-set level of their own: f16 rows to f32 (F16C from
// the avx2 level on). One table per level, as attention/kernel_table.h describes.
#pragma once

#include <cstdint>

#include "cpu/isa.h"

namespace lh {
namespace numeric {

struct NumericKernels {
    // dst[0..n) = the IEEE half values at src (any alignment), exactly.
    void (*f16_to_f32)(const void *src, float *dst, int64_t n);
};

namespace generic { void fill(NumericKernels &t); }
namespace avx2 { void fill(NumericKernels &t); }

// The kernels of the active level; kernels_for: any level that runs here, nullptr otherwise.
const NumericKernels &kernels();
const NumericKernels *kernels_for(cpu::Isa isa);

}  // namespace numeric
}  // namespace lh
