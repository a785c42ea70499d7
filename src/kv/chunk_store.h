// LongHeads state next to the KV cache: one key vector per completed chunk per (layer, query
// head), tiled like the keys ([tile of 16 chunks][head_dim][16]) so scoring a query against all
// chunk keys needs no horizontal sums; and the current chunk's queries (rotated at their
// chunk-local offset, scaled by 1/sqrt(d)) per (layer, query head), kept until the chunk
// completes and its key can be built.
#pragma once

#include <cstdint>

#include "kv/kv_cache.h"

namespace lh::kv {

class ChunkStore {
public:
    void init(int32_t n_layer, int32_t n_head, int32_t head_dim, int32_t chunk_size, int32_t n_ctx);
    static uint64_t bytes_for(int32_t n_layer, int32_t n_head, int32_t head_dim, int32_t chunk_size,
                              int64_t n_tokens);
    uint64_t bytes() const { return bytes_for(n_layer_, n_head_, head_dim_, chunk_size_, n_ctx_); }

    // Tiled chunk keys of (layer, head); chunk j valid once it is complete.
    float *chunk_keys(int32_t layer, int32_t head) const {
        return reinterpret_cast<float *>(keys_.get()) +
               (static_cast<int64_t>(layer) * n_head_ + head) * tiled_chunks_ * head_dim_;
    }
    void put_chunk_key(int32_t layer, int32_t head, int32_t chunk, const float *c);
    float chunk_key_at(int32_t layer, int32_t head, int32_t chunk, int32_t i) const;
    // [chunk_size][head_dim] queries of the current chunk of (layer, head).
    float *pending(int32_t layer, int32_t head) const {
        return reinterpret_cast<float *>(pending_.get()) +
               (static_cast<int64_t>(layer) * n_head_ + head) * chunk_size_ * head_dim_;
    }
    int32_t max_chunks() const { return max_chunks_; }

private:
    int32_t n_layer_ = 0, n_head_ = 0, head_dim_ = 0, chunk_size_ = 0, n_ctx_ = 0, max_chunks_ = 0, tiled_chunks_ = 0;
    AlignedBuffer keys_, pending_;
};

}  // namespace lh::kv
