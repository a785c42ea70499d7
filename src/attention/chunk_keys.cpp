#include "attention/chunk_keys.h"

#include <algorithm>

#include "attention/kernels.h"

namespace lh::attn {

template <class T>
void build_chunk_key(const T *key_tiles, const T *values, int64_t start, const float *q, int32_t w, int32_t d,
                     float scale, bool hf_order, float *scratch, float *out) {
    float *P = scratch + kTile;  // w x w scores, kTile slack on each side
    float *a = P + static_cast<int64_t>(w) * w + kTile;
    float *s = a + w;
    float *sq = s + d;
    float *hf = sq + d;
    // o_i = sum_l softmax_l(q~_i . k~_l / sqrt(d)) v_l and s = mean_i o_i = sum_l (mean_i p_il) v_l.
    tile_scores(key_tiles, d, start, start + w, q, w, P, w);
    for (int32_t l = 0; l < w; ++l) a[l] = 0.0f;
    for (int32_t i = 0; i < w; ++i) {
        float *row = P + static_cast<int64_t>(i) * w;
        const float inv = 1.0f / (exp_sum(row, w, max_of(row, w)) * static_cast<float>(w));
        for (int32_t l = 0; l < w; ++l) a[l] += row[l] * inv;
    }
    for (int32_t x = 0; x < d; ++x) s[x] = 0.0f;
    for (int32_t l = 0; l < w; ++l) {
        const T *row = value_row(values, start + l, d);
        axpy(a[l] * value_scale(row, d), row, s, d);
    }
    // c = sum_i softmax_i(s . k~_i / sqrt(d)) k~_i, s . k~_i = (s in GGUF order) . (k~_i as cached).
    for (int32_t x = 0; x < d; ++x) sq[x] = s[x] * scale;
    if (hf_order) {
        hf_to_gguf_order(sq, d, hf);
        std::copy(hf, hf + d, sq);
    }
    tile_scores(key_tiles, d, start, start + w, sq, 1, P, w);
    const float inv = 1.0f / exp_sum(P, w, max_of(P, w));
    for (int32_t x = 0; x < d; ++x) {
        float acc = 0.0f;
        for (int32_t i = 0; i < w; ++i) acc += P[i] * key_value(key_tiles, start + i, x, d);
        out[x] = acc * inv;
    }
}

void hf_to_gguf_order(const float *x, int32_t d, float *y) {
    for (int32_t i = 0; i < d / 2; ++i) {
        y[2 * i] = x[i];
        y[2 * i + 1] = x[i + d / 2];
    }
}

#define LH_INSTANTIATE(T)                                                                                  \
    template void build_chunk_key<T>(const T *, const T *, int64_t, const float *, int32_t, int32_t, float, bool, \
                                     float *, float *);
LH_INSTANTIATE(float)
LH_INSTANTIATE(uint16_t)
LH_INSTANTIATE(int8_t)
#undef LH_INSTANTIATE

}  // namespace lh::attn
