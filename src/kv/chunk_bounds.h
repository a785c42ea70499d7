// LongHeads "bound" chunk score state (docs/ATTENTION.md): per completed chunk and (layer, KV
// head) the channel-wise maximum and minimum of the chunk's keys as cached (rotated at their
// chunk-local offsets), one row of 2 * head_dim values [max | min] in the key cache's element
// type and tiled layout ([tile of 16 chunks][2 * head_dim][16], int8 rows with their scale), so
// the key-score kernels score a query against every chunk's bound as one dot product per chunk.
// Memory: 2 rows per w tokens, i.e. 2/w of the key cache.
#pragma once

#include <cstdint>

#include "kv/kv_cache.h"

namespace lh::kv {

class ChunkBounds {
public:
    void init(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int32_t chunk_size,
              int32_t n_ctx);
    static uint64_t bytes_for(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim,
                              int32_t chunk_size, int64_t n_tokens);
    uint64_t bytes() const { return bytes_for(type_, n_layer_, n_head_kv_, head_dim_, chunk_size_, n_ctx_); }

    // Tiled rows of (layer, KV head), elements of the cache's type T (see KvCache::keys).
    template <class T> T *rows(int32_t layer, int32_t kvh) const {
        return reinterpret_cast<T *>(rows_.get()) + offset(layer, kvh);
    }
    // Before chunks [first, end) of a layer are put (possibly from several threads at once):
    // zeroes the tiles the first of them starts (state_region.h).
    void begin_chunks(int32_t layer, int32_t first, int32_t end);
    // Saved state of tokens [0, n): per (layer, KV head) the tiles of the n / w completed chunks.
    void state_regions(int32_t n_tokens, StateRegions &out) const;
    // Forgets chunks from n_keep / w on.
    void clear_from(int32_t n_keep);
    // Stores chunk j's row: upper = channel-wise max, lower = channel-wise min (head_dim each).
    void put(int32_t layer, int32_t kvh, int32_t chunk, const float *upper, const float *lower, float *tmp);
    // Element i of chunk j's stored row (i < head_dim: max, else min) (tests, diagnostics).
    float at(int32_t layer, int32_t kvh, int32_t chunk, int32_t i) const;

private:
    int64_t offset(int32_t layer, int32_t kvh) const {  // in elements of the type
        const int64_t per_row = type_ == LH_KV_Q8 ? 2 * static_cast<int64_t>(head_dim_) + 4 : 2 * head_dim_;
        return (static_cast<int64_t>(layer) * n_head_kv_ + kvh) * static_cast<int64_t>(tiled_) * per_row;
    }
    void *block(int32_t layer, int32_t kvh) const {
        return rows_.get() + offset(layer, kvh) * static_cast<int64_t>(type_ == LH_KV_F32 ? 4 : type_ == LH_KV_BF16 ? 2 : 1);
    }
    lh_kv_type type_ = LH_KV_F32;
    int32_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0, chunk_size_ = 0, n_ctx_ = 0, tiled_ = 0;
    AlignedBuffer rows_;
};

}  // namespace lh::kv
