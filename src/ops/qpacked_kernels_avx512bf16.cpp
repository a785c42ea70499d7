// The packed-format kernels of the avx512_bf16 level (with VNNI: vpdpbusd for Q4_0, Q8_0, IQ4_NL
// and Q4_K's spans), from qpacked_avx512.inl. Compiled with that level's flags; rules in
// attention/kernel_table.h.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "common/simd.h"
#include "numeric/iq4_levels.h"
#include "ops/ops_kernels.h"
#include "ops/weight_prefetch.h"

namespace lh::ops::avx512bf16 {

#include "ops/ops_loops.inl"
#include "ops/qpacked_loops.inl"
#include "ops/qpacked_avx512.inl"
#include "ops/qpacked_expand.inl"

void fill_packed(OpsKernels &t) {
    t.packed_dot_rows = avx512_packed::dot_rows;
    t.quantize_activations = avx512_packed::quantize_activations;
    t.quantize_k_activations = avx512_packed::quantize_k_activations;
    t.packed_rows_to_bf16 = packed_expand::expand_rows<uint16_t>;  // native bf16 rounding
}

}  // namespace lh::ops::avx512bf16
