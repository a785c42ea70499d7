// Chunk key c_j of a completed chunk (docs/ATTENTION.md, "Chunk key"): bidirectional attention
// inside the chunk at local positions, mean of the outputs as a query, attention pooling of keys.
#pragma once

#include <cstdint>

namespace lh::attn {

// Floats of scratch build_chunk_key() needs.
inline int64_t chunk_key_scratch(int32_t w, int32_t d) { return 16 + static_cast<int64_t>(w) * w + 16 + w + 2 * d; }

// key_tiles/values: the KV head's cache (keys tiled, rotated at chunk-local offsets); the chunk
// is tokens [start, start+w). q: its w queries rotated at the same offsets, pre-multiplied by
// scale. out: d floats.
template <class T>
void build_chunk_key(const T *key_tiles, const T *values, int64_t start, const float *q, int32_t w, int32_t d,
                     float scale, float *scratch, float *out);

}  // namespace lh::attn
