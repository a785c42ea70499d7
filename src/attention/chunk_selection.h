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

}  // namespace lh::attn
