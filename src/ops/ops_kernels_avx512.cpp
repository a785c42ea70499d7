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

inline __m512 load16_bf16(const uint16_t *p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// R rows at a time, so each 16 columns of x are loaded once for R rows. (No software prefetch:
// requesting each row's lines 16 KiB ahead, as the quantized kernels do, measured no faster.)
template <int R> void bf16_rows(const uint16_t *w, int64_t cols, const float *x, float *y) {
    __m512 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= cols; i += 16) {
        const __m512 xv = _mm512_loadu_ps(x + i);
        for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(load16_bf16(w + r * cols + i), xv, acc[r]);
    }
    for (int r = 0; r < R; ++r) {
        float sum = _mm512_reduce_add_ps(acc[r]);
        for (int64_t j = i; j < cols; ++j) sum += bf16_bits_to_f32(w[r * cols + j]) * x[j];
        y[r] = sum;
    }
}

void bf16_dot_rows(const uint16_t *w, int64_t cols, int64_t row0, int64_t row1, const float *x, float *y) {
    int64_t row = row0;
    for (; row + 4 <= row1; row += 4) bf16_rows<4>(w + row * cols, cols, x, y + (row - row0));
    for (; row < row1; ++row) bf16_rows<1>(w + row * cols, cols, x, y + (row - row0));
}

}  // namespace

void fill(OpsKernels &t) {
    fill_packed(t);
    t.f32_to_bf16 = loop_f32_to_bf16;  // 16 lanes
    t.bf16_dot_rows = bf16_dot_rows;
}

}  // namespace lh::ops::avx512
