// Online softmax over segments of the cache, on the active level's kernels (kernels.h).
#include <cmath>
#include <limits>

#include "attention/kernels.h"

namespace lh::attn {

void attend_begin(int32_t d, int32_t G, const AttendBuffers &buf) {
    for (int32_t g = 0; g < G; ++g) {
        buf.m[g] = -std::numeric_limits<float>::infinity();
        buf.l[g] = 0.0f;
    }
    for (int64_t i = 0; i < static_cast<int64_t>(G) * d; ++i) buf.o[i] = 0.0f;
}

template <class T>
void attend_segment(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment &sg,
                    const AttendBuffers &buf, int32_t row) {
    float *S = buf.scores + kTile;
    float *m = buf.m + row, *l = buf.l + row, *o = buf.o + static_cast<int64_t>(row) * d;
    for (int32_t off = 0; off < sg.count; off += kBlock) {
        const int64_t a = static_cast<int64_t>(sg.start) + off;
        const int32_t n = sg.count - off < kBlock ? sg.count - off : kBlock;
        tile_scores(key_tiles, d, a, a + n, sg.q, G, S, kBlock);
        for (int32_t g = 0; g < G; ++g) {
            float *srow = S + static_cast<int64_t>(g) * kBlock;
            const float bm = max_of(srow, n);
            if (bm > m[g]) {
                if (l[g] != 0.0f) {  // rescale what was accumulated under the old maximum
                    const float corr = std::exp(m[g] - bm);
                    l[g] *= corr;
                    float *og = o + static_cast<int64_t>(g) * d;
                    for (int32_t x = 0; x < d; ++x) og[x] *= corr;
                }
                m[g] = bm;
            }
            l[g] += exp_sum(srow, n, m[g]);
        }
        accumulate_values(values, d, a, n, S, kBlock, G, o);
    }
}

void attend_end(int32_t d, int32_t G, const AttendBuffers &buf, float *out, int64_t out_stride) {
    for (int32_t g = 0; g < G; ++g) {
        const float inv = 1.0f / buf.l[g];
        const float *og = buf.o + static_cast<int64_t>(g) * d;
        float *dst = out + g * out_stride;
        for (int32_t x = 0; x < d; ++x) dst[x] = og[x] * inv;
    }
}

template <class T>
void attend(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment *segs, int32_t n_seg,
            const AttendBuffers &buf, float *out) {
    attend_begin(d, G, buf);
    for (int32_t si = 0; si < n_seg; ++si) attend_segment(key_tiles, values, d, G, segs[si], buf, 0);
    attend_end(d, G, buf, out, d);
}

#define LH_INSTANTIATE(T)                                                                                     \
    template void attend<T>(const T *, const T *, int32_t, int32_t, const Segment *, int32_t,                  \
                            const AttendBuffers &, float *);                                                  \
    template void attend_segment<T>(const T *, const T *, int32_t, int32_t, const Segment &,                   \
                                    const AttendBuffers &, int32_t);
LH_INSTANTIATE(float)
LH_INSTANTIATE(uint16_t)
LH_INSTANTIATE(int8_t)
#undef LH_INSTANTIATE

}  // namespace lh::attn
