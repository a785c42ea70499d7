// Plain C++ OpsKernels: the fallback for CPUs without AVX2 and the reference of the tests.
#include <cstdint>

#include "ops/ops_kernels.h"

namespace lh::ops::generic {

#include "ops/ops_loops.inl"

void fill(OpsKernels &t) {
    t.qblocks_dot_rows = loop_dot_rows;
    t.qblocks_rows_to_bf16 = loop_rows_to_bf16;
    t.qblocks_rows_to_f32 = loop_rows_to_f32;
    t.quantize_activations = loop_quantize_activations;
    t.bf16_dot_rows = loop_bf16_dot_rows;
    t.bf16_to_f32 = loop_bf16_to_f32;
    t.f32_to_bf16 = loop_f32_to_bf16;
    fill_packed(t);
}

}  // namespace lh::ops::generic
