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
    // Before chunks [first, end) of a layer are put (possibly from several threads at once):
    // zeroes the tiles that the first of them starts, so their bytes depend only on the chunks
    // held (see state_region.h).
    void begin_chunks(int32_t layer, int32_t first, int32_t end);
    void put_chunk_key(int32_t layer, int32_t head, int32_t chunk, const float *c);
    float chunk_key_at(int32_t layer, int32_t head, int32_t chunk, int32_t i) const;
    // [chunk_size][head_dim] queries of the current chunk of (layer, head).
    float *pending(int32_t layer, int32_t head) const {
        return reinterpret_cast<float *>(pending_.get()) +
               (static_cast<int64_t>(layer) * n_head_ + head) * chunk_size_ * head_dim_;
    }
    int32_t max_chunks() const { return max_chunks_; }

    // Saved state of tokens [0, n): per (layer, head) the tiles of the n / w completed chunks'
    // keys, then the pending queries of the n % w tokens of the current chunk.
    void state_regions(int32_t n_tokens, StateRegions &out) const;
    // Tokens that can be kept of a layer holding n_cached when cutting it to n_keep: n_keep
    // itself when it is a chunk boundary or lies in the chunk still being filled (its pending
    // queries are still there); otherwise the start of its chunk, whose pending queries were
    // overwritten by later chunks.
    int32_t keepable(int32_t n_keep, int32_t n_cached) const;
    // Forgets chunks from n_keep / w on (zeroes their slots in the tile holding that chunk).
    void clear_from(int32_t n_keep);

private:
    uint64_t tile_floats() const { return static_cast<uint64_t>(kKeyTile) * static_cast<uint64_t>(head_dim_); }
    int32_t n_layer_ = 0, n_head_ = 0, head_dim_ = 0, chunk_size_ = 0, n_ctx_ = 0, max_chunks_ = 0, tiled_chunks_ = 0;
    AlignedBuffer keys_, pending_;
};

}  // namespace lh::kv
