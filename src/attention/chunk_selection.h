// Per-token chunk selection (docs/ATTENTION.md, longheads steps 1-2).
#pragma once

#include <cstdint>

namespace lh::attn {

struct ScoredChunk {
    float score;
    int32_t index;
};

// Candidates of a token of chunk m are chunks 1 .. last_candidate (none if it is < 1).
inline int32_t last_candidate(int32_t m, int32_t n_local) { return m - n_local; }

// Chunks attended by a token of chunk m: the sink 0, the n_local most recent chunks
// m-n_local+1 .. m, and the n_best candidates with the highest score (ties: lower index),
// without duplicates, ascending. Writes to out (capacity n_best + 1 + n_local) and returns the
// count. Faithful scores q . c_j. q: the query before RoPE; chunk_keys: tiled (kv/chunk_store.h).
// scores: >= m floats with kTile floats of slack before; scratch: >= m entries.
int32_t select_chunks(const float *q, const float *chunk_keys, int32_t d, int32_t m, int32_t n_best, int32_t n_local,
                      float *scores, ScoredChunk *scratch, int32_t *out);

// The same selection from given candidate scores: scores[j - 1] is the score of chunk j.
int32_t select_from_scores(const float *scores, int32_t m, int32_t n_best, int32_t n_local, ScoredChunk *scratch,
                           int32_t *out);

// Opt-in LH_CHUNK_SCORE_MAX_KEY scores of R <= 8 query rows at once (one pass over the keys for
// all of them): scores[r * stride + j - 1] = max_i qr_r . k~_{jw+i} (i < w) for chunks
// j = 1 .. last, keys as cached (tiled, rotated at their chunk-local offset), qr the R queries
// rotated at w-1 (rows of d). tmp: kTile slack before, then max_key_tmp_floats(w, R) floats.
constexpr int32_t kMaxKeyRows = 8;
int64_t max_key_tmp_floats(int32_t w, int32_t R);
template <class T>
void max_key_scores(const T *key_tiles, int32_t d, int32_t w, int32_t last, const float *qr, int32_t R, float *tmp,
                    float *scores, int64_t stride);

// The bound scores' query row, so that qb . [max_j | min_j] = sum_i qr_i c_ji + spread |qr_i| r_ji
// with c = (max + min) / 2 and r = (max - min) / 2 (kv/chunk_bounds.h). spread 1 (LH_CHUNK_SCORE_BOUND):
// qb = [max(qr, 0) | min(qr, 0)], sum_i max(qr_i min_ji, qr_i max_ji); 0.5: LH_CHUNK_SCORE_BOUND_MID.
void bound_query(const float *qr, int32_t d, float spread, float *qb);

}  // namespace lh::attn
