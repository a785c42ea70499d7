// Chunk key c_j of a completed chunk (docs/ATTENTION.md, "Chunk key"): bidirectional attention
// inside the chunk at local positions, mean of the outputs as a query, attention pooling of keys.
#pragma once

#include <cstdint>

namespace lh::attn {

// keys/values: the chunk's w rows in the cache (keys rotated at local offsets 0..w-1);
// q: the chunk's w queries rotated at the same offsets. scratch: w + d floats. out: d floats.
template <class T>
void build_chunk_key(const T *keys, const T *values, const float *q, int32_t w, int32_t d, float scale,
                     float *scratch, float *out);

}  // namespace lh::attn
