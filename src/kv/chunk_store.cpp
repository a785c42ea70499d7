#include "kv/chunk_store.h"

#include <algorithm>

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

void ChunkStore::begin_chunks(int32_t layer, int32_t first, int32_t end) {
    for (int32_t j = first; j < end; ++j) {
        if (j % kKeyTile != 0) continue;
        for (int32_t h = 0; h < n_head_; ++h) {
            float *tile = chunk_keys(layer, h) + static_cast<int64_t>(j / kKeyTile) * kKeyTile * head_dim_;
            std::fill(tile, tile + tile_floats(), 0.0f);
        }
    }
}

void ChunkStore::state_regions(int32_t n_tokens, StateRegions &out) const {
    const uint64_t tiles = static_cast<uint64_t>((n_tokens / chunk_size_ + kKeyTile - 1) / kKeyTile);
    const uint64_t pending_rows = static_cast<uint64_t>(n_tokens % chunk_size_);
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t h = 0; h < n_head_; ++h) {
            out.push_back({reinterpret_cast<unsigned char *>(chunk_keys(l, h)), tiles * tile_floats() * sizeof(float)});
            out.push_back({reinterpret_cast<unsigned char *>(pending(l, h)),
                           pending_rows * static_cast<uint64_t>(head_dim_) * sizeof(float)});
        }
}

int32_t ChunkStore::keepable(int32_t n_keep, int32_t n_cached) const {
    if (n_keep % chunk_size_ == 0 || n_keep / chunk_size_ == n_cached / chunk_size_) return n_keep;
    return n_keep / chunk_size_ * chunk_size_;
}

void ChunkStore::clear_from(int32_t n_keep) {
    const int32_t first = n_keep / chunk_size_;
    if (first % kKeyTile == 0) return;  // no tile is partly kept
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t h = 0; h < n_head_; ++h) {
            float *tile = chunk_keys(l, h) + static_cast<int64_t>(first / kKeyTile) * kKeyTile * head_dim_;
            for (int32_t i = 0; i < head_dim_; ++i)
                std::fill(tile + static_cast<int64_t>(i) * kKeyTile + first % kKeyTile,
                          tile + static_cast<int64_t>(i + 1) * kKeyTile, 0.0f);
        }
}

float ChunkStore::chunk_key_at(int32_t layer, int32_t head, int32_t chunk, int32_t i) const {
    return chunk_keys(layer, head)[static_cast<int64_t>(chunk / kKeyTile) * kKeyTile * head_dim_ +
                                   static_cast<int64_t>(i) * kKeyTile + chunk % kKeyTile];
}

}  // namespace lh::kv
