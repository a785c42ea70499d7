// Plain C++ attention kernels: the fallback for CPUs without AVX2 and the reference every other
// level is tested against (kernel_table.h).
#include <cstdint>
#include <type_traits>

#include "attention/kernel_table.h"

namespace lh::attn::generic {

#include "attention/tile_layout.inl"
#include "attention/kernels_scalar.inl"

namespace {

template <class T> void fill_typed(TypedKernels<T> &k) {
    k.tile_scores = scalar_tile_scores<T>;
    k.accumulate_values = scalar_accumulate_values<T>;
    k.axpy = scalar_axpy<T>;
}

}  // namespace

void fill(AttnKernels &t) {
    fill_typed(t.f32);
    fill_typed(t.bf16);
    fill_typed(t.i8);
    t.max_of = scalar_max_of;
    t.exp_sum = scalar_exp_sum;
}

}  // namespace lh::attn::generic
