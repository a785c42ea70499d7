// The packed-format kernels in plain C++ (qpacked_loops.inl): the fallback for CPUs without AVX2
// and the reference the other levels are tested against.
#include <cstdint>

#include "numeric/iq4_levels.h"
#include "ops/ops_kernels.h"

namespace lh::ops::generic {

#include "ops/ops_loops.inl"
#include "ops/qpacked_loops.inl"

void fill_packed(OpsKernels &t) {
    t.packed_dot_rows = loop_packed_dot_rows;
    t.packed_rows_to_bf16 = loop_packed_rows_to_bf16;
    t.packed_rows_to_f32 = loop_packed_rows_to_f32;
    t.quantize_k_activations = loop_quantize_k_activations;
}

}  // namespace lh::ops::generic
