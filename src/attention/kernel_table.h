// Attention kernels: one table of function pointers per instruction-set level (cpu/isa.h); the
// active level's table is chosen once per process. kernels.h wraps the entries as plain
// functions (tile_scores, accumulate_values, ...), so callers never see the levels.
//
// Adding a kernel:
//  1. a function-pointer member below (in TypedKernels<T> if it depends on the cache element
//     type), with its contract;
//  2. its plain C++ version in kernels_generic.cpp, set in generic::fill (required: it is the
//     fallback for CPUs without AVX2 and the reference the other levels are tested against);
//  3. where it pays, faster versions in kernels_avx2.cpp / kernels_avx512.cpp /
//     kernels_avx512bf16.cpp, set in that file's fill(); levels are filled bottom-up, so a level
//     that leaves an entry alone keeps the one below. A new file named *_avx2.cpp, *_avx512.cpp
//     or *_avx512bf16.cpp gets that level's -m flags automatically (cmake/LongheadsIsa.cmake);
//     give it its own fill() and call it from kernel_dispatch.cpp;
//  4. a wrapper in kernels.h, and a case in tests/unit/test_kernel_levels.cpp that compares
//     every level that runs on the machine with generic.
// Level files are compiled with -m flags the rest of the library is not: they include only this
// header, tile_layout.inl (inside their namespace) and system headers, call no std:: function
// (use __builtin_expf etc.), and keep all their code in their own namespace lh::attn::<level>.
// Otherwise the linker may keep an AVX-512 copy of an inline function for code that runs on any
// CPU; the `isa_objects` test checks the level objects for such shared symbols.
#pragma once

#include <cstdint>

namespace lh::attn {

template <class T> struct TypedKernels {
    // s[g * stride + (j - a)] = q_g . key_j for g < G, j in [a, b); q: G rows of d.
    // s must have kTile floats of slack before s[0] and after the last row (tiles are stored
    // whole or masked).
    void (*tile_scores)(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                        int64_t stride);
    // o[g][0..d) += sum_{j in [a, a+n)} p[g * stride + j - a] * v_j * scale_j for g < G.
    void (*accumulate_values)(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride,
                              int32_t G, float *o);
    // out[0..d) += a * v[0..d) (no row scale applied).
    void (*axpy)(float a, const T *v, float *out, int32_t d);
};

struct AttnKernels {
    TypedKernels<float> f32;
    TypedKernels<uint16_t> bf16;
    TypedKernels<int8_t> i8;
    // max of p[0..n), n >= 1.
    float (*max_of)(const float *p, int32_t n);
    // p[0..n) <- exp(p - mx); returns the sum.
    float (*exp_sum)(float *p, int32_t n, float mx);
};

namespace generic { void fill(AttnKernels &t); }
namespace avx2 { void fill(AttnKernels &t); }
namespace avx512 { void fill(AttnKernels &t); }
namespace avx512bf16 { void fill(AttnKernels &t); }

}  // namespace lh::attn
