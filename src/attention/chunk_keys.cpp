#include "attention/chunk_keys.h"

#include <cmath>

#include "attention/kernels.h"

namespace lh::attn {

namespace {
// p[0..n) <- softmax(p), returns nothing; n >= 1.
void softmax_inplace(float *p, int32_t n) {
    float mx = p[0];
    for (int32_t i = 1; i < n; ++i) mx = p[i] > mx ? p[i] : mx;
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
        p[i] = std::exp(p[i] - mx);
        sum += p[i];
    }
    const float inv = 1.0f / sum;
    for (int32_t i = 0; i < n; ++i) p[i] *= inv;
}
}  // namespace

template <class T>
void build_chunk_key(const T *keys, const T *values, const float *q, int32_t w, int32_t d, float scale,
                     float *scratch, float *out) {
    float *p = scratch;
    float *s = scratch + w;
    for (int32_t j = 0; j < d; ++j) s[j] = 0.0f;
    const float inv_w = 1.0f / static_cast<float>(w);
    // s = mean_i o_i, o_i = softmax_l(q~_i . k~_l * scale) v_l.
    for (int32_t i = 0; i < w; ++i) {
        const float *qi = q + static_cast<int64_t>(i) * d;
        for (int32_t l = 0; l < w; ++l) p[l] = dot(qi, keys + static_cast<int64_t>(l) * d, d) * scale;
        softmax_inplace(p, w);
        for (int32_t l = 0; l < w; ++l) axpy(p[l] * inv_w, values + static_cast<int64_t>(l) * d, s, d);
    }
    // c = sum_i softmax_i(s . k~_i * scale) k~_i.
    for (int32_t i = 0; i < w; ++i) p[i] = dot(s, keys + static_cast<int64_t>(i) * d, d) * scale;
    softmax_inplace(p, w);
    for (int32_t j = 0; j < d; ++j) out[j] = 0.0f;
    for (int32_t i = 0; i < w; ++i) axpy(p[i], keys + static_cast<int64_t>(i) * d, out, d);
}

template void build_chunk_key<float>(const float *, const float *, const float *, int32_t, int32_t, float,
                                     float *, float *);
template void build_chunk_key<uint16_t>(const uint16_t *, const uint16_t *, const float *, int32_t, int32_t,
                                        float, float *, float *);

}  // namespace lh::attn
