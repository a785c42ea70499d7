#include "kv/kv_cache.h"

#include <cstring>
#include <new>

#include "gguf/tensor_types.h"

namespace lh::kv {

AlignedBuffer aligned_alloc_bytes(uint64_t bytes) {
    const uint64_t rounded = (bytes + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, rounded == 0 ? 64 : static_cast<size_t>(rounded));
    if (!p) throw std::bad_alloc();
    return AlignedBuffer(static_cast<unsigned char *>(p));
}

uint64_t KvCache::bytes_for(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim,
                            int64_t n_tokens) {
    const uint64_t elem = type == LH_KV_BF16 ? 2 : 4;
    const uint64_t rows = static_cast<uint64_t>((n_tokens + kKeyTile - 1) / kKeyTile * kKeyTile);
    return 2ull * static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head_kv) * rows *
           static_cast<uint64_t>(head_dim) * elem;
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

void KvCache::put(int32_t layer, int32_t kvh, int32_t pos, const float *k, const float *v) {
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
    const int64_t kt = static_cast<int64_t>(pos / kKeyTile) * kKeyTile * head_dim_ + static_cast<int64_t>(i) * kKeyTile +
                       pos % kKeyTile;
    return type_ == LH_KV_BF16 ? bf16_to_float(keys<uint16_t>(layer, kvh)[kt]) : keys<float>(layer, kvh)[kt];
}

}  // namespace lh::kv
