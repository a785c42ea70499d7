#include "attention/chunk_selection.h"

#include <algorithm>
#include <cmath>

#include "attention/kernels.h"

namespace lh::attn {

int32_t select_chunks(const float *q, const float *chunk_keys, int32_t d, int32_t m, int32_t n_best, int32_t n_local,
                      float *scores, ScoredChunk *scratch, int32_t *out) {
    const int32_t last = last_candidate(m, n_local);
    if (std::min(n_best, last) > 0) tile_scores(chunk_keys, d, 1, last + 1, q, 1, scores, 0);  // scores[j - 1] = q . c_j
    return select_from_scores(scores, m, n_best, n_local, scratch, out);
}

int32_t select_from_scores(const float *scores, int32_t m, int32_t n_best, int32_t n_local, ScoredChunk *scratch,
                           int32_t *out) {
    int32_t n = 0;
    out[n++] = 0;
    const int32_t n_cand = std::max(last_candidate(m, n_local), 0);  // chunks 1 .. last
    const int32_t take = std::min(std::max(n_best, 0), n_cand);
    if (take > 0) {
        for (int32_t j = 1; j <= n_cand; ++j) scratch[j - 1] = {scores[j - 1], j};
        auto better = [](const ScoredChunk &a, const ScoredChunk &b) {
            return a.score > b.score || (a.score == b.score && a.index < b.index);
        };
        if (take < n_cand) std::nth_element(scratch, scratch + take, scratch + n_cand, better);
        for (int32_t i = 0; i < take; ++i) out[n++] = scratch[i].index;
        std::sort(out + 1, out + n);
    }
    for (int32_t j = std::max(m - n_local + 1, 1); j <= m; ++j) out[n++] = j;
    return n;
}

namespace {
int32_t chunks_per_pass(int32_t w) { return std::max(1, kBlock / w); }
}  // namespace

int64_t max_key_tmp_floats(int32_t w, int32_t R) {
    return static_cast<int64_t>(R) * chunks_per_pass(w) * w + kTile;
}

template <class T>
void max_key_scores(const T *key_tiles, int32_t d, int32_t w, int32_t last, const float *qr, int32_t R, float *tmp,
                    float *scores, int64_t stride) {
    const int32_t nb = chunks_per_pass(w);
    const int64_t row = static_cast<int64_t>(nb) * w;  // tmp floats per query row
    for (int32_t j0 = 1; j0 <= last; j0 += nb) {
        const int32_t j1 = std::min(last + 1, j0 + nb);  // chunks [j0, j1)
        tile_scores(key_tiles, d, static_cast<int64_t>(j0) * w, static_cast<int64_t>(j1) * w, qr, R, tmp, row);
        for (int32_t r = 0; r < R; ++r)
            for (int32_t j = j0; j < j1; ++j)
                scores[r * stride + j - 1] = max_of(tmp + r * row + static_cast<int64_t>(j - j0) * w, w);
    }
}

void bound_query(const float *qr, int32_t d, float spread, float *qb) {
    // q.c + spread |q|.r with c = (max + min) / 2, r = (max - min) / 2, as one product with
    // [max | min]: spread 1 gives exactly max(q, 0) | min(q, 0).
    for (int32_t x = 0; x < d; ++x) {
        const float a = spread * std::fabs(qr[x]);
        qb[x] = 0.5f * (qr[x] + a);
        qb[d + x] = 0.5f * (qr[x] - a);
    }
}

#define LH_INSTANTIATE(T)                                                                                   \
    template void max_key_scores<T>(const T *, int32_t, int32_t, int32_t, const float *, int32_t, float *, \
                                    float *, int64_t);
LH_INSTANTIATE(float)
LH_INSTANTIATE(uint16_t)
LH_INSTANTIATE(int8_t)
#undef LH_INSTANTIATE

}  // namespace lh::attn
