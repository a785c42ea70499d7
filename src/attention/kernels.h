// Inner loops over the cache: the cache layout (tile_layout.inl) and the kernels of the active
// instruction-set level (kernel_table.h), wrapped as plain functions.
#pragma once

#include <cstdint>
#include <type_traits>

#include "attention/kernel_table.h"
#include "cpu/isa.h"

namespace lh::attn {

#include "attention/tile_layout.inl"

// The kernels of the active level (cpu::active_isa()), and those of any level that runs here
// (tests compare them).
const AttnKernels &kernels();
// nullptr for a level this CPU does not run.
const AttnKernels *kernels_for(cpu::Isa isa);

template <class T> const TypedKernels<T> &typed(const AttnKernels &k);
template <> inline const TypedKernels<float> &typed<float>(const AttnKernels &k) { return k.f32; }
template <> inline const TypedKernels<uint16_t> &typed<uint16_t>(const AttnKernels &k) { return k.bf16; }
template <> inline const TypedKernels<int8_t> &typed<int8_t>(const AttnKernels &k) { return k.i8; }

// The entries of kernel_table.h (see there for the contracts), on the active level.
template <class T>
inline void tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                        int64_t stride) {
    typed<T>(kernels()).tile_scores(key_tiles, d, a, b, q, G, s, stride);
}
template <class T>
inline void accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride,
                              int32_t G, float *o) {
    typed<T>(kernels()).accumulate_values(values, d, a, n, p, stride, G, o);
}
template <class T> inline void axpy(float a, const T *v, float *out, int32_t d) { typed<T>(kernels()).axpy(a, v, out, d); }
inline float max_of(const float *p, int32_t n) { return kernels().max_of(p, n); }
inline float exp_sum(float *p, int32_t n, float mx) { return kernels().exp_sum(p, n, mx); }

// One contiguous run of cached tokens [start, start+count) of a KV head, scored against G
// queries q (G rows of d: already rotated so that q . k gives the right relative position, and
// already multiplied by 1/sqrt(d)).
struct Segment {
    int32_t start;
    int32_t count;
    const float *q;
};

// Work buffers of attend(): scores (kTile slack + G * kBlock + kTile slack), m, l (G), o (G*d).
struct AttendBuffers {
    float *scores;
    float *m, *l, *o;
};

// Softmax attention of G queries over the concatenated segments (online softmax in blocks of
// kBlock tokens): out[g][0..d) = sum_i p_gi v_i, out rows contiguous.
template <class T>
void attend(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment *segs, int32_t n_seg,
            const AttendBuffers &buf, float *out);

// The same in steps, for callers whose queries do not all see the same segments:
// attend_begin() clears G rows of state; attend_segment() folds one segment into the rows
// [row, row+G) (scores buffer shared); attend_end() writes row g to out + g * out_stride.
void attend_begin(int32_t d, int32_t G, const AttendBuffers &buf);
template <class T>
void attend_segment(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment &sg,
                    const AttendBuffers &buf, int32_t row);
void attend_end(int32_t d, int32_t G, const AttendBuffers &buf, float *out, int64_t out_stride);

}  // namespace lh::attn
