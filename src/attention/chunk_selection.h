// Per-token chunk selection (docs/ATTENTION.md, longheads step 1-2).
#pragma once

#include <cstdint>

namespace lh::attn {

struct ScoredChunk {
    float score;
    int32_t index;
};

// Chunks attended by a token of chunk m: {0, m-1, m} plus the n_best = K-3 candidates among
// 1..m-2 with the highest q . c_j (ties: lower index), without duplicates, ascending.
// q: the query before RoPE; chunk_keys: tiled (kv/chunk_store.h). scores: >= m floats with
// kTile floats of slack before; scratch: >= m entries.
// Writes to out (capacity n_best + 3) and returns the count.
int32_t select_chunks(const float *q, const float *chunk_keys, int32_t d, int32_t m, int32_t n_best, float *scores,
                      ScoredChunk *scratch, int32_t *out);

// The same selection from given candidate scores: scores[j - 1] is the score of chunk j, 1 <= j <= m-2.
int32_t select_from_scores(const float *scores, int32_t m, int32_t n_best, ScoredChunk *scratch, int32_t *out);

// Opt-in LH_CHUNK_SCORE_MAX_KEY scores of R <= 8 query rows at once (one pass over the keys for
// all of them): scores[r * stride + j - 1] = max_i qr_r . k~_{jw+i} (i < w) for chunks
// j = 1 .. m-2, keys as cached (tiled, rotated at their chunk-local offset), qr the R queries
// rotated at w-1 (rows of d). tmp: kTile slack before, then max_key_tmp_floats(w, R) floats.
constexpr int32_t kMaxKeyRows = 8;
int64_t max_key_tmp_floats(int32_t w, int32_t R);
template <class T>
void max_key_scores(const T *key_tiles, int32_t d, int32_t w, int32_t m, const float *qr, int32_t R, float *tmp,
                    float *scores, int64_t stride);

}  // namespace lh::attn
