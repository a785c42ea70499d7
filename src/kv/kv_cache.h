// Keys and values of one context per (layer, kv head), f32, bf16 or int8 (one float scale per
// token and head, stored after the token's value row and after each key tile). Values are rows
// [position][head_dim]; keys are tiles of kKeyTile tokens stored dimension-major
// ([tile][head_dim][kKeyTile]) so the attention kernels read one dimension of 16 keys per vector
// load. Keys are stored already rotated (the attention mode decides at which position).
// Capacity is rounded up to a whole tile.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "kv/state_region.h"
#include "longheads/longheads.h"

namespace lh::kv {

constexpr int32_t kKeyTile = 16;

// 64-byte aligned, uninitialised buffer (pages are touched only as tokens arrive).
struct AlignedFree {
    void operator()(void *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<unsigned char[], AlignedFree>;
AlignedBuffer aligned_alloc_bytes(uint64_t bytes);  // throws std::bad_alloc

// One row of d floats stored as row `pos` of a tiled block of the given element type (the keys'
// layout below: [tile][d][kKeyTile], int8 tiles followed by their 16 rows' scales), converting
// (bf16: nearest even; int8: one scale per row, max|x| / 127); and element i read back.
void put_tiled_row(lh_kv_type type, void *tiles, int32_t d, int32_t pos, const float *x);
float tiled_row_at(lh_kv_type type, const void *tiles, int32_t d, int32_t pos, int32_t i);
// Bytes of one tile of kKeyTile rows; zeroing a whole tile (before its first row is put, so that
// the bytes of a partly filled tile depend only on its rows: state_region.h); zeroing rows
// [pos, end of pos's tile) when a cache is cut back to pos.
uint64_t tiled_tile_bytes(lh_kv_type type, int32_t d);
void zero_tile(lh_kv_type type, void *tiles, int32_t d, int32_t tile);
void clear_tiled_rows_from(lh_kv_type type, void *tiles, int32_t d, int32_t pos);

class KvCache {
public:
    void init(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int32_t n_ctx);
    static uint64_t bytes_for(lh_kv_type type, int32_t n_layer, int32_t n_head_kv, int32_t head_dim,
                              int64_t n_tokens);
    uint64_t bytes() const { return bytes_for(type_, n_layer_, n_head_kv_, head_dim_, n_ctx_); }

    lh_kv_type type() const { return type_; }
    int32_t capacity() const { return n_ctx_; }

    // Bytes per token of one head's keys (or values): d elements, + the scale for int8.
    static uint64_t row_bytes(lh_kv_type type, int32_t head_dim) {
        return type == LH_KV_Q8 ? static_cast<uint64_t>(head_dim) + 4
                                : static_cast<uint64_t>(head_dim) * (type == LH_KV_BF16 ? 2u : 4u);
    }

    // Base of the key tiles / value rows of (layer, kv head); T is float (F32), uint16_t (BF16)
    // or int8_t (Q8).
    template <class T> T *keys(int32_t layer, int32_t kvh) const {
        return reinterpret_cast<T *>(keys_.get()) + offset(layer, kvh);
    }
    template <class T> T *values(int32_t layer, int32_t kvh) const {
        return reinterpret_cast<T *>(values_.get()) + offset(layer, kvh);
    }

    // Untyped base of the key tiles of (layer, kv head).
    void *key_block(int32_t layer, int32_t kvh) const {
        return keys_.get() + offset(layer, kvh) * static_cast<int64_t>(type_ == LH_KV_F32 ? 4 : type_ == LH_KV_BF16 ? 2 : 1);
    }

    // Store one token's key (already rotated) and value for (layer, kv head), converting. The
    // first token of a key tile zeroes the whole tile (see state_region.h).
    void put(int32_t layer, int32_t kvh, int32_t pos, const float *k, const float *v);

    // Saved state of tokens [0, n): per (layer, kv head) the key tiles covering them, then their
    // value rows.
    void state_regions(int32_t n_tokens, StateRegions &out) const;
    // Forgets tokens from n_keep on: zeroes their slots in the key tile holding n_keep (later
    // tiles are zeroed when their first token arrives).
    void clear_from(int32_t n_keep);
    // Element i of the stored key of token pos (tests, diagnostics).
    float key_at(int32_t layer, int32_t kvh, int32_t pos, int32_t i) const;

private:
    // In elements of the cache's type (row_bytes / element size per token).
    int64_t offset(int32_t layer, int32_t kvh) const {
        const int64_t per_token = type_ == LH_KV_Q8 ? static_cast<int64_t>(head_dim_) + 4 : head_dim_;
        return (static_cast<int64_t>(layer) * n_head_kv_ + kvh) * static_cast<int64_t>(rows_) * per_token;
    }
    lh_kv_type type_ = LH_KV_F32;
    int32_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0, n_ctx_ = 0, rows_ = 0;  // rows_: n_ctx rounded to tiles
    AlignedBuffer keys_, values_;
};

}  // namespace lh::kv
