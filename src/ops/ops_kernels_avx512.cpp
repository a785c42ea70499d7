// The avx512 level's entries of the OpsKernels table (its CPUs keep the avx2 entries otherwise):
// the packed-format kernels (qpacked_kernels_avx512.cpp), the 16-lane bf16 conversion, and the f32
// dot products of bf16 rows with which CPUs without BF16 instructions decode F16 and BF16 files.
// Compiled with the avx512 level's flags; rules in attention/kernel_table.h.
#include <cstdint>

#include "common/simd.h"
#include "ops/ops_kernels.h"

namespace lh::ops::avx512 {

#include "ops/ops_loops.inl"

namespace {

// 16 f32 lanes: the vector operations bf16_rows.inl uses.
struct Lanes16 {
    using V = __m512;
    static constexpr int64_t kWidth = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V load_x(const float *p) { return _mm512_loadu_ps(p); }
    static V load_w(const uint16_t *p) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    static V fma(V a, V b, V acc) { return _mm512_fmadd_ps(a, b, acc); }
    static float sum(V v) { return _mm512_reduce_add_ps(v); }
};

// (No software prefetch: requesting each row's lines 16 KiB ahead, as the quantized kernels do,
// measured no faster here.)
#include "ops/bf16_rows.inl"

}  // namespace

void fill(OpsKernels &t) {
    fill_packed(t);
    t.f32_to_bf16 = loop_f32_to_bf16;  // 16 lanes
    t.bf16_dot_rows = bf16_dot_rows_with<Lanes16>;
}

}  // namespace lh::ops::avx512
