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

void KvCache::put(int32_t layer, int32_t kvh, int32_t pos, const float *k, const float *v) {
    if (type_ == LH_KV_Q8) {
        // Key tile: [d][16] int8, then the 16 tokens' scales; value row: d int8, then its scale.
        const int64_t stride = static_cast<int64_t>(head_dim_) + 4;
        int8_t *tile = keys<int8_t>(layer, kvh) + static_cast<int64_t>(pos / kKeyTile) * kKeyTile * stride;
        const float ks = quantize_q8(k, head_dim_, tile + pos % kKeyTile, kKeyTile);
        std::memcpy(tile + static_cast<int64_t>(kKeyTile) * head_dim_ + 4 * (pos % kKeyTile), &ks, sizeof ks);
        int8_t *row = values<int8_t>(layer, kvh) + static_cast<int64_t>(pos) * stride;
        const float vs = quantize_q8(v, head_dim_, row, 1);
        std::memcpy(row + head_dim_, &vs, sizeof vs);
        return;
    }
    const int64_t at = static_cast<int64_t>(pos) * head_dim_;
    const int64_t kt = static_cast<int64_t>(pos / kKeyTile) * kKeyTile * head_dim_ + pos % kKeyTile;
    if (type_ == LH_KV_BF16) {
        uint16_t *kd = keys<uint16_t>(layer, kvh) + kt;
        uint16_t *vd = values<uint16_t>(layer, kvh) + at;
        for (int32_t i = 0; i < head_dim_; ++i) {
            kd[static_cast<int64_t>(i) * kKeyTile] = float_to_bf16(k[i]);
            vd[i] = float_to_bf16(v[i]);
        }
    } else {
        float *kd = keys<float>(layer, kvh) + kt;
        for (int32_t i = 0; i < head_dim_; ++i) kd[static_cast<int64_t>(i) * kKeyTile] = k[i];
        std::memcpy(values<float>(layer, kvh) + at, v, sizeof(float) * head_dim_);
    }
}

float KvCache::key_at(int32_t layer, int32_t kvh, int32_t pos, int32_t i) const {
    if (type_ == LH_KV_Q8) {
        const int64_t stride = static_cast<int64_t>(head_dim_) + 4;
        const int8_t *tile = keys<int8_t>(layer, kvh) + static_cast<int64_t>(pos / kKeyTile) * kKeyTile * stride;
        float s;
        std::memcpy(&s, tile + static_cast<int64_t>(kKeyTile) * head_dim_ + 4 * (pos % kKeyTile), sizeof s);
        return s * static_cast<float>(tile[static_cast<int64_t>(i) * kKeyTile + pos % kKeyTile]);
    }
    const int64_t kt = static_cast<int64_t>(pos / kKeyTile) * kKeyTile * head_dim_ + static_cast<int64_t>(i) * kKeyTile +
                       pos % kKeyTile;
    return type_ == LH_KV_BF16 ? bf16_to_float(keys<uint16_t>(layer, kvh)[kt]) : keys<float>(layer, kvh)[kt];
}

}  // namespace lh::kv
