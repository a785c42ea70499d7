#include "kv/chunk_store.h"

namespace lh::kv {

uint64_t ChunkStore::bytes_for(int32_t n_layer, int32_t n_head, int32_t head_dim, int32_t chunk_size,
                               int64_t n_tokens) {
    const uint64_t per_head = static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head) *
                              static_cast<uint64_t>(head_dim) * sizeof(float);
    const uint64_t chunks = static_cast<uint64_t>((n_tokens / chunk_size + kKeyTile - 1) / kKeyTile * kKeyTile);
    return per_head * (chunks + static_cast<uint64_t>(chunk_size));
}

void ChunkStore::init(int32_t n_layer, int32_t n_head, int32_t head_dim, int32_t chunk_size, int32_t n_ctx) {
    n_layer_ = n_layer;
    n_head_ = n_head;
    head_dim_ = head_dim;
    chunk_size_ = chunk_size;
    n_ctx_ = n_ctx;
    max_chunks_ = n_ctx / chunk_size;
    tiled_chunks_ = (max_chunks_ + kKeyTile - 1) / kKeyTile * kKeyTile;
    const uint64_t per_head = static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head) *
                              static_cast<uint64_t>(head_dim) * sizeof(float);
    keys_ = aligned_alloc_bytes(per_head * static_cast<uint64_t>(tiled_chunks_));
    pending_ = aligned_alloc_bytes(per_head * static_cast<uint64_t>(chunk_size));
}

void ChunkStore::put_chunk_key(int32_t layer, int32_t head, int32_t chunk, const float *c) {
    float *dst = chunk_keys(layer, head) + static_cast<int64_t>(chunk / kKeyTile) * kKeyTile * head_dim_ + chunk % kKeyTile;
    for (int32_t i = 0; i < head_dim_; ++i) dst[static_cast<int64_t>(i) * kKeyTile] = c[i];
}

float ChunkStore::chunk_key_at(int32_t layer, int32_t head, int32_t chunk, int32_t i) const {
    return chunk_keys(layer, head)[static_cast<int64_t>(chunk / kKeyTile) * kKeyTile * head_dim_ +
                                   static_cast<int64_t>(i) * kKeyTile + chunk % kKeyTile];
}

}  // namespace lh::kv
