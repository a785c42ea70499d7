#include "kv/chunk_bounds.h"

#include <algorithm>

namespace lh::kv {

namespace {
int64_t tiled_chunks(int32_t chunk_size, int64_t n_tokens) {
    return (n_tokens / chunk_size + kKeyTile - 1) / kKeyTile * kKeyTile;
}
}  // namespace

uint64_t ChunkBounds::bytes_for(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim,
                                int32_t chunk_size, int64_t n_tokens) {
    return static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head_kv) *
           static_cast<uint64_t>(tiled_chunks(chunk_size, n_tokens)) * KvCache::row_bytes(type, 2 * head_dim);
}

void ChunkBounds::init(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int32_t chunk_size,
                       int32_t n_ctx) {
    type_ = type;
    n_layer_ = n_layer;
    n_head_kv_ = n_head_kv;
    head_dim_ = head_dim;
    chunk_size_ = chunk_size;
    n_ctx_ = n_ctx;
    tiled_ = static_cast<int32_t>(tiled_chunks(chunk_size, n_ctx));
    rows_ = aligned_alloc_bytes(bytes());
}

void ChunkBounds::begin_chunks(int32_t layer, int32_t first, int32_t end) {
    for (int32_t j = first; j < end; ++j)
        if (j % kKeyTile == 0)
            for (int32_t g = 0; g < n_head_kv_; ++g) zero_tile(type_, block(layer, g), 2 * head_dim_, j / kKeyTile);
}

void ChunkBounds::state_regions(int32_t n_tokens, StateRegions &out) const {
    const uint64_t tiles = static_cast<uint64_t>((n_tokens / chunk_size_ + kKeyTile - 1) / kKeyTile);
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t g = 0; g < n_head_kv_; ++g)
            out.push_back({static_cast<unsigned char *>(block(l, g)), tiles * tiled_tile_bytes(type_, 2 * head_dim_)});
}

void ChunkBounds::clear_from(int32_t n_keep) {
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t g = 0; g < n_head_kv_; ++g) clear_tiled_rows_from(type_, block(l, g), 2 * head_dim_, n_keep / chunk_size_);
}

void ChunkBounds::put(int32_t layer, int32_t kvh, int32_t chunk, const float *upper, const float *lower, float *tmp) {
    std::copy(upper, upper + head_dim_, tmp);
    std::copy(lower, lower + head_dim_, tmp + head_dim_);
    put_tiled_row(type_, block(layer, kvh), 2 * head_dim_, chunk, tmp);
}

float ChunkBounds::at(int32_t layer, int32_t kvh, int32_t chunk, int32_t i) const {
    return tiled_row_at(type_, block(layer, kvh), 2 * head_dim_, chunk, i);
}

}  // namespace lh::kv
