// F16C conversion of f16 rows (part of the avx2 level); rules in attention/kernel_table.h.
#include <cstdint>

#include "common/simd.h"
#include "numeric/numeric_kernels.h"

namespace lh::numeric::avx2 {

namespace {

// The hardware conversion is exact (IEEE binary16 -> binary32 loses nothing).
void f16_to_f32(const void *src, float *dst, int64_t n) {
    const uint8_t *s = static_cast<const uint8_t *>(src);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 2 * i))));
    if (i < n) {  // the last 1-7 through a zero-padded copy
        alignas(16) uint16_t h[8] = {};
        __builtin_memcpy(h, s + 2 * i, static_cast<unsigned long>(n - i) * 2u);
        alignas(32) float f[8];
        _mm256_store_ps(f, _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i *>(h))));
        __builtin_memcpy(dst + i, f, static_cast<unsigned long>(n - i) * sizeof(float));
    }
}

}  // namespace

void fill(NumericKernels &t) { t.f16_to_f32 = f16_to_f32; }

}  // namespace lh::numeric::avx2
