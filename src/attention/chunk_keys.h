// Chunk key c_j of a completed chunk (docs/ATTENTION.md, "Chunk key"): bidirectional attention
// inside the chunk at local positions, mean of the outputs as a query, attention pooling of keys.
#pragma once

#include <cstdint>

namespace lh::attn {

// Floats of scratch build_chunk_key() needs.
inline int64_t chunk_key_scratch(int32_t w, int32_t d) { return 16 + static_cast<int64_t>(w) * w + 16 + w + 3 * d; }

// key_tiles/values: the KV head's cache (keys tiled, rotated at chunk-local offsets); the chunk
// is tokens [start, start+w). q: its w queries rotated at the same offsets, pre-multiplied by
// scale. out: d floats.
// hf_order: the pooling logit s . k~ reads the key channels in Hugging Face order, the inverse of
// the GGUF converter's Q/K row permutation (GGUF channels 2i, 2i+1 are HF channels i, i + d/2).
// s lives in value space, which the converter leaves alone, so only this dot product depends on
// the order; scores q . c_j do not (q and c_j are permuted alike).
template <class T>
void build_chunk_key(const T *key_tiles, const T *values, int64_t start, const float *q, int32_t w, int32_t d,
                     float scale, bool hf_order, float *scratch, float *out);

// y[2i] = x[i], y[2i+1] = x[i + d/2] (d even): HF channel order to GGUF (llama) order.
void hf_to_gguf_order(const float *x, int32_t d, float *y);

}  // namespace lh::attn
