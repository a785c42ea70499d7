// The packed-format kernels of the avx512 level (AVX-512 F/BW: maddubs + madd), from
// qpacked_avx512.inl. Compiled with that level's flags; rules in attention/kernel_table.h.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "common/simd.h"
#include "numeric/iq4_levels.h"
#include "ops/ops_kernels.h"
#include "ops/weight_prefetch.h"

namespace lh::ops::avx512 {

#include "ops/ops_loops.inl"
#include "ops/qpacked_loops.inl"
#include "ops/qpacked_avx512.inl"

void fill_packed(OpsKernels &t) {
    t.packed_dot_rows = avx512_packed::dot_rows;
    t.quantize_activations = avx512_packed::quantize_activations;
    t.quantize_k_activations = avx512_packed::quantize_k_activations;
}

}  // namespace lh::ops::avx512
