#include "kv/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "numeric/tensor_types.h"

namespace lh::kv {

AlignedBuffer aligned_alloc_bytes(uint64_t bytes) {
    const uint64_t rounded = (bytes + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, rounded == 0 ? 64 : static_cast<size_t>(rounded));
    if (!p) throw std::bad_alloc();
    return AlignedBuffer(static_cast<unsigned char *>(p));
}

uint64_t KvCache::bytes_for(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim,
                            int64_t n_tokens) {
    const uint64_t rows = static_cast<uint64_t>((n_tokens + kKeyTile - 1) / kKeyTile * kKeyTile);
    return 2ull * static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head_kv) * rows *
           row_bytes(type, head_dim);
}

void KvCache::init(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int32_t n_ctx) {
    type_ = type;
    n_layer_ = n_layer;
    n_head_kv_ = n_head_kv;
    head_dim_ = head_dim;
    n_ctx_ = n_ctx;
    rows_ = (n_ctx + kKeyTile - 1) / kKeyTile * kKeyTile;
    const uint64_t half = bytes() / 2;
    keys_ = aligned_alloc_bytes(half);
    values_ = aligned_alloc_bytes(half);
}

namespace {

// Symmetric int8 with one scale per vector: q = round(x / s), s = max|x| / 127.
float quantize_q8(const float *x, int32_t n, int8_t *q, int64_t q_step) {
    float amax = 0.0f;
    for (int32_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float s = amax / 127.0f;
    const float inv = s > 0.0f && std::isfinite(s) ? 1.0f / s : 0.0f;
    for (int32_t i = 0; i < n; ++i) {
        const float r = std::fmin(std::fmax(std::nearbyint(x[i] * inv), -127.0f), 127.0f);
        q[static_cast<int64_t>(i) * q_step] = static_cast<int8_t>(r);
    }
    return s;
}

}  // namespace

void put_tiled_row(lh_kv_type type, void *tiles, int32_t d, int32_t pos, const float *x) {
    if (type == LH_KV_Q8) {
        // Tile: [d][16] int8, then the 16 rows' scales.
        const int64_t stride = static_cast<int64_t>(d) + 4;
        int8_t *tile = static_cast<int8_t *>(tiles) + static_cast<int64_t>(pos / kKeyTile) * kKeyTile * stride;
        const float s = quantize_q8(x, d, tile + pos % kKeyTile, kKeyTile);
        std::memcpy(tile + static_cast<int64_t>(kKeyTile) * d + 4 * (pos % kKeyTile), &s, sizeof s);
        return;
    }
    const int64_t kt = static_cast<int64_t>(pos / kKeyTile) * kKeyTile * d + pos % kKeyTile;
    if (type == LH_KV_BF16) {
        uint16_t *dst = static_cast<uint16_t *>(tiles) + kt;
        for (int32_t i = 0; i < d; ++i) dst[static_cast<int64_t>(i) * kKeyTile] = float_to_bf16(x[i]);
    } else {
        float *dst = static_cast<float *>(tiles) + kt;
        for (int32_t i = 0; i < d; ++i) dst[static_cast<int64_t>(i) * kKeyTile] = x[i];
    }
}

float tiled_row_at(lh_kv_type type, const void *tiles, int32_t d, int32_t pos, int32_t i) {
    if (type == LH_KV_Q8) {
        const int64_t stride = static_cast<int64_t>(d) + 4;
        const int8_t *tile =
            static_cast<const int8_t *>(tiles) + static_cast<int64_t>(pos / kKeyTile) * kKeyTile * stride;
        float s;
        std::memcpy(&s, tile + static_cast<int64_t>(kKeyTile) * d + 4 * (pos % kKeyTile), sizeof s);
        return s * static_cast<float>(tile[static_cast<int64_t>(i) * kKeyTile + pos % kKeyTile]);
    }
    const int64_t kt =
        static_cast<int64_t>(pos / kKeyTile) * kKeyTile * d + static_cast<int64_t>(i) * kKeyTile + pos % kKeyTile;
    return type == LH_KV_BF16 ? bf16_to_float(static_cast<const uint16_t *>(tiles)[kt])
                              : static_cast<const float *>(tiles)[kt];
}

uint64_t tiled_tile_bytes(lh_kv_type type, int32_t d) { return kKeyTile * KvCache::row_bytes(type, d); }

void zero_tile(lh_kv_type type, void *tiles, int32_t d, int32_t tile) {
    const uint64_t bytes = tiled_tile_bytes(type, d);
    std::memset(static_cast<unsigned char *>(tiles) + static_cast<uint64_t>(tile) * bytes, 0, bytes);
}

void clear_tiled_rows_from(lh_kv_type type, void *tiles, int32_t d, int32_t pos) {
    if (pos % kKeyTile == 0) return;  // no tile is partly kept
    const uint64_t es = type == LH_KV_F32 ? 4 : type == LH_KV_BF16 ? 2 : 1;
    unsigned char *t = static_cast<unsigned char *>(tiles) + static_cast<uint64_t>(pos / kKeyTile) * tiled_tile_bytes(type, d);
    for (int32_t slot = pos % kKeyTile; slot < kKeyTile; ++slot) {
        for (int32_t i = 0; i < d; ++i) std::memset(t + (static_cast<uint64_t>(i) * kKeyTile + slot) * es, 0, es);
        if (type == LH_KV_Q8)  // the int8 tile's row scales follow its [d][16] values
            std::memset(t + static_cast<uint64_t>(kKeyTile) * d + 4 * slot, 0, 4);
    }
}

void KvCache::put(int32_t layer, int32_t kvh, int32_t pos, const float *k, const float *v) {
    if (pos % kKeyTile == 0) zero_tile(type_, key_block(layer, kvh), head_dim_, pos / kKeyTile);
    put_tiled_row(type_, key_block(layer, kvh), head_dim_, pos, k);
    if (type_ == LH_KV_Q8) {  // value row: d int8, then its scale
        int8_t *row = values<int8_t>(layer, kvh) + static_cast<int64_t>(pos) * (head_dim_ + 4);
        const float vs = quantize_q8(v, head_dim_, row, 1);
        std::memcpy(row + head_dim_, &vs, sizeof vs);
    } else if (type_ == LH_KV_BF16) {
        uint16_t *vd = values<uint16_t>(layer, kvh) + static_cast<int64_t>(pos) * head_dim_;
        for (int32_t i = 0; i < head_dim_; ++i) vd[i] = float_to_bf16(v[i]);
    } else {
        std::memcpy(values<float>(layer, kvh) + static_cast<int64_t>(pos) * head_dim_, v, sizeof(float) * head_dim_);
    }
}

void KvCache::state_regions(int32_t n_tokens, StateRegions &out) const {
    const uint64_t tiles = static_cast<uint64_t>((n_tokens + kKeyTile - 1) / kKeyTile);
    const uint64_t es = type_ == LH_KV_F32 ? 4 : type_ == LH_KV_BF16 ? 2 : 1;
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t g = 0; g < n_head_kv_; ++g) {
            out.push_back({static_cast<unsigned char *>(key_block(l, g)), tiles * tiled_tile_bytes(type_, head_dim_)});
            out.push_back({values_.get() + static_cast<uint64_t>(offset(l, g)) * es,
                           static_cast<uint64_t>(n_tokens) * row_bytes(type_, head_dim_)});
        }
}

void KvCache::clear_from(int32_t n_keep) {
    for (int32_t l = 0; l < n_layer_; ++l)
        for (int32_t g = 0; g < n_head_kv_; ++g) clear_tiled_rows_from(type_, key_block(l, g), head_dim_, n_keep);
}

float KvCache::key_at(int32_t layer, int32_t kvh, int32_t pos, int32_t i) const {
    return tiled_row_at(type_, key_block(layer, kvh), head_dim_, pos, i);
}

}  // namespace lh::kv
