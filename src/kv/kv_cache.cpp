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
    return 2ull * static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_head_kv) *
           static_cast<uint64_t>(n_tokens) * static_cast<uint64_t>(head_dim) * elem;
}

void KvCache::init(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int32_t n_ctx) {
    type_ = type;
    n_layer_ = n_layer;
    n_head_kv_ = n_head_kv;
    head_dim_ = head_dim;
    n_ctx_ = n_ctx;
    const uint64_t half = bytes() / 2;
    keys_ = aligned_alloc_bytes(half);
    values_ = aligned_alloc_bytes(half);
}

void KvCache::put(int32_t layer, int32_t kvh, int32_t pos, const float *k, const float *v) {
    const int64_t at = static_cast<int64_t>(pos) * head_dim_;
    if (type_ == LH_KV_BF16) {
        uint16_t *kd = keys<uint16_t>(layer, kvh) + at;
        uint16_t *vd = values<uint16_t>(layer, kvh) + at;
        for (int32_t i = 0; i < head_dim_; ++i) {
            kd[i] = float_to_bf16(k[i]);
            vd[i] = float_to_bf16(v[i]);
        }
    } else {
        std::memcpy(keys<float>(layer, kvh) + at, k, sizeof(float) * head_dim_);
        std::memcpy(values<float>(layer, kvh) + at, v, sizeof(float) * head_dim_);
    }
}

}  // namespace lh::kv
