// What LongHeads keeps per completed chunk, built once when the chunk completes: the faithful
// score's chunk keys c_j (per query head) or the bound score's channel-wise key bounds (per KV
// head). The max score reads the cached keys themselves and keeps nothing.
#include <algorithm>
#include <limits>

#include "attention/attention_impl.h"
#include "attention/chunk_keys.h"

namespace lh {

void Attention::Impl::build_chunk_keys(const AttnBatch &b) {
    const int32_t w = cfg.chunk_size, nh = cfg.n_head;
    const int32_t j_first = b.pos0 / w, j_end = (b.pos0 + b.n) / w;  // chunks completed by this batch
    const int32_t n_done = j_end - j_first;
    const bool hf_order = !cfg.rope_neox && d % 2 == 0;  // docs/ATTENTION.md, "Key channel order"
    if (n_done > 0) {
        chunks.begin_chunks(b.layer, j_first, j_end);  // before the threads write into the tiles
        const int64_t items = static_cast<int64_t>(nh) * n_done;
        for_each_item(b, items, 1, [&](int64_t item, AttnScratch &s) {
            const int32_t h = static_cast<int32_t>(item / n_done), j = j_first + static_cast<int32_t>(item % n_done);
            const float *pend = chunks.pending(b.layer, h);
            for (int32_t r = 0; r < w; ++r) {
                const int32_t t = j * w + r;
                float *dst = s.chunk_q + static_cast<int64_t>(r) * d;
                if (t < b.pos0)
                    std::copy(pend + static_cast<int64_t>(r) * d, pend + static_cast<int64_t>(r + 1) * d, dst);
                else
                    rotate_queries(b.layer, qrow(b, t - b.pos0, h), 1, r, dst);
            }
            const int32_t g = h / group;
            const int64_t start = static_cast<int64_t>(j) * w;
            float *ck = s.chunk_out;
            with_kv_type([&](auto type) {
                using T = decltype(type);
                attn::build_chunk_key(kv.keys<T>(b.layer, g), kv.values<T>(b.layer, g), start, s.chunk_q, w, d,
                                      scale, hf_order, s.chunk_tmp, ck);
            });
            chunks.put_chunk_key(b.layer, h, j, ck);
        });
    }
    // Keep the queries of the (incomplete) last chunk for when it completes.
    const int32_t tail = std::max(j_end * w, b.pos0);
    for (int32_t t = tail; t < b.pos0 + b.n; ++t)
        for (int32_t h = 0; h < nh; ++h)
            rotate_queries(b.layer, qrow(b, t - b.pos0, h), 1, t % w,
                           chunks.pending(b.layer, h) + static_cast<int64_t>(t % w) * d);
}

// Channel-wise max and min of the chunk's keys as cached (rotated at their local offsets, in the
// cache's precision), per KV head: its query heads share them.
void Attention::Impl::build_chunk_bounds(const AttnBatch &b) {
    const int32_t w = cfg.chunk_size, nkv = cfg.n_head_kv;
    const int32_t j_first = b.pos0 / w, j_end = (b.pos0 + b.n) / w;
    const int32_t n_done = j_end - j_first;
    if (n_done <= 0) return;
    bounds.begin_chunks(b.layer, j_first, j_end);  // before the threads write into the tiles
    const int64_t items = static_cast<int64_t>(nkv) * n_done;
    for_each_item(b, items, 1, [&](int64_t item, AttnScratch &s) {
        const int32_t g = static_cast<int32_t>(item / n_done), j = j_first + static_cast<int32_t>(item % n_done);
        float *upper = s.bound_row, *lower = s.bound_row + d;
        with_kv_type([&](auto type) {
            using T = decltype(type);
            const T *keys = kv.keys<T>(b.layer, g);
            for (int32_t x = 0; x < d; ++x) {
                float hi = -std::numeric_limits<float>::infinity(), lo = std::numeric_limits<float>::infinity();
                for (int64_t t = static_cast<int64_t>(j) * w; t < static_cast<int64_t>(j + 1) * w; ++t) {
                    const float v = attn::key_value(keys, t, x, d);
                    hi = std::max(hi, v);
                    lo = std::min(lo, v);
                }
                upper[x] = hi;
                lower[x] = lo;
            }
        });
        bounds.put(b.layer, g, j, upper, lower, s.bound_row + 2 * d);
    });
}

}  // namespace lh
