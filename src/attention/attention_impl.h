// Internal state of lh::Attention shared by the per-mode files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include "attention/attention.h"
#include "attention/chunk_keys.h"
#include "attention/chunk_selection.h"
#include "attention/kernels.h"
#include "attention/rope.h"
#include "common/team_work.h"
#include "kv/chunk_bounds.h"
#include "kv/chunk_store.h"
#include "kv/kv_cache.h"

namespace lh {

// Which LongHeads chunk state a configuration keeps (besides the KV cache).
inline bool uses_chunk_keys(const AttentionConfig &c) {
    return c.mode == LH_ATTENTION_LONGHEADS && c.chunk_score == LH_CHUNK_SCORE_FAITHFUL;
}
inline bool uses_bounds(const AttentionConfig &c) {
    return c.mode == LH_ATTENTION_LONGHEADS &&
           (c.chunk_score == LH_CHUNK_SCORE_BOUND || c.chunk_score == LH_CHUNK_SCORE_BOUND_MID);
}

// Per-thread work buffers, carved out of one allocation made by the constructor.
struct AttnScratch {
    attn::AttendBuffers att;  // scores: kTile + group * kBlock + kTile
    float *qrot;              // max_segments * group * d rotated, scaled queries
    float *qtmp;              // d
    float *chunk_q;           // w * d (chunk-key build)
    float *chunk_tmp;         // attn::chunk_key_scratch(w, d)
    float *chunk_out;         // d
    float *cand_scores;       // kTile + max_chunks + kTile (kTile slack before the pointer)
    attn::ScoredChunk *cand;  // max_chunks
    int32_t *sel;             // max_selected
    attn::Segment *segs;      // max_segments
    // longheads: one row per (token of a chunk, query head of the KV group): w * group rows.
    attn::AttendBuffers blk;  // state of the rows
    attn::AttendBuffers sub;  // gathered rows (m, l, o only; scores shared with blk)
    float *qblk;              // rows * d rotated queries
    int32_t *sels;            // rows * max_selected selections
    int32_t *n_sel, *ptr, *rows;  // rows each
    // Key-based chunk scores (max, bound): up to kMaxKeyRows query rows scored in one pass.
    float *key_scores;  // max: kTile slack, attn::max_key_tmp_floats(w, kMaxKeyRows)
    float *qkey;        // kMaxKeyRows * 2d: queries rotated at w-1 (bound: [max(q,0) | min(q,0)])
    float *cand_rows;   // kTile slack, kMaxKeyRows * max_chunks candidate scores
    float *bound_row;   // bound: 4d (max, min, the row handed to the store)
};

// One forward() call: the tensors of the batch for one layer.
struct AttnBatch {
    int32_t layer, pos0, n;
    const float *q;  // n x n_head * d, before RoPE
    float *out;      // n x n_head * d
    TeamWork *team;  // the caller's team (Attention::forward), or null
};

// The tokens t >= B of chunk m in one batch, with the G query heads of KV head kvh: one row per
// (token, head), token-major (row r = token index i * G + head gh), first token t0.
struct GroupRows {
    int32_t m, kvh, h0;  // chunk, KV head, its first query head
    int32_t t0, n_tokens;
};

struct Attention::Impl {
    AttentionConfig cfg;
    tbb::task_arena *arena = nullptr;
    kv::KvCache kv;
    kv::ChunkStore chunks;   // longheads, faithful score only
    kv::ChunkBounds bounds;  // longheads, bound score only
    attn::RopeTable rope;
    std::vector<int32_t> n_cached;               // per layer
    std::vector<std::vector<int32_t>> last_sel;  // per (layer, query head)
    int32_t d = 0, group = 1, n_best = 0;        // head_dim, n_head / n_head_kv, K - 1 - local_chunks
    float scale = 1.0f;
    int32_t max_segments = 0, max_chunks = 0, max_selected = 0;
    int32_t n_slots = 1;
    uint64_t slot_floats = 0;
    kv::AlignedBuffer scratch_mem;
    uint64_t scratch_bytes = 0;
    std::vector<float> key_tmp;  // d, serial key rotation

    void layout_scratch();  // sizes; called by the constructor
    uint64_t carve(float *base, AttnScratch *s) const;
    AttnScratch scratch(int32_t slot) const;
    const float *qrow(const AttnBatch &b, int32_t i, int32_t h) const {
        return b.q + (static_cast<int64_t>(i) * cfg.n_head + h) * d;
    }
    float *orow(const AttnBatch &b, int32_t i, int32_t h) const {
        return b.out + (static_cast<int64_t>(i) * cfg.n_head + h) * d;
    }
    // Dimensions RoPE rotates in `layer`: none in a NoPE layer (attention there sees no positions).
    int32_t rot_dims(int32_t layer) const {
        const int32_t step = cfg.no_rope_layer_step;
        return step > 0 && (layer + 1) % step == 0 ? 0 : cfg.n_rot;
    }
    // dst = scale * R(pos) q for the n_q query heads starting at q (rows of d), in `layer`.
    void rotate_queries(int32_t layer, const float *q, int32_t n_q, int32_t pos, float *dst) const {
        const float *cs = rope.at(pos);
        const int32_t n_rot = rot_dims(layer);
        for (int32_t g = 0; g < n_q; ++g) {
            float *y = dst + static_cast<int64_t>(g) * d;
            attn::rope_apply(cs, n_rot, d, q + static_cast<int64_t>(g) * d, y, cfg.rope_neox);
            for (int32_t x = 0; x < d; ++x) y[x] *= scale;
        }
    }
    void set_last_selection(int32_t layer, int32_t head, const int32_t *sel, int32_t n_sel);

    // Multiply-adds of a batch below which its attention runs on the calling thread: waking the
    // arena's workers then costs more than the work they would share (decode at a short depth).
    static constexpr int64_t kSerialWork = int64_t{1} << 19;
    // Whether batch b, each of whose tokens reads at most `keys` cached keys, is worth the arena.
    bool worth_sharing(const AttnBatch &b, int64_t keys) const {
        return static_cast<int64_t>(b.n) * cfg.n_head * keys * d * 2 >= kSerialWork;
    }

    // Runs body(item, scratch) for item in [0, n_items) on b's team if it has one, else inside
    // the arena; serially if neither, if `share` is false, or if the team has more threads than
    // there are scratch slots (one per thread). Inside a team's region the arena is never entered.
    template <class F>
    void for_each_item(const AttnBatch &b, int64_t n_items, int64_t grain, const F &body, bool share = true) {
        if (n_items <= 0) return;
        const bool parallel = b.team ? b.team->parts() <= n_slots : arena != nullptr;
        if (!parallel || n_items == 1 || !share) {
            AttnScratch s = scratch(0);
            for (int64_t i = 0; i < n_items; ++i) body(i, s);
            return;
        }
        if (b.team) {
            b.team->run(n_items, [&](int64_t i, int part) {
                AttnScratch s = scratch(part);
                body(i, s);
            });
            return;
        }
        arena->execute([&] {
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, n_items, grain > 0 ? grain : 1),
                              [&](const tbb::blocked_range<int64_t> &r) {
                                  int slot = tbb::this_task_arena::current_thread_index();
                                  if (slot < 0 || slot >= n_slots) slot = 0;
                                  AttnScratch s = scratch(slot);
                                  for (int64_t i = r.begin(); i != r.end(); ++i) body(i, s);
                              });
        });
    }
    int64_t grain_for(int64_t items) const { return std::max<int64_t>(1, items / (static_cast<int64_t>(n_slots) * 8)); }

    // Calls f(T{}) with the cache's element type: float, uint16_t (bf16) or int8_t (q8).
    template <class F> void with_kv_type(const F &f) const {
        switch (cfg.kv_type) {
            case LH_KV_BF16: f(uint16_t{}); break;
            case LH_KV_Q8: f(int8_t{}); break;
            default: f(float{}); break;
        }
    }

    // Attention of G query heads of KV head g over segments; out: G rows of d.
    void attend(int32_t layer, int32_t g, int32_t G, const attn::Segment *segs, int32_t n_seg, const AttnScratch &s,
                float *out) const {
        with_kv_type([&](auto t) {
            using T = decltype(t);
            attn::attend(kv.keys<T>(layer, g), kv.values<T>(layer, g), d, G, segs, n_seg, s.att, out);
        });
    }

    // Per-mode work (one file each).
    void store_keys_values(const AttnBatch &b, const float *k, const float *v);
    void full_forward(const AttnBatch &b);
    void window_forward(const AttnBatch &b);
    void longheads_forward(const AttnBatch &b);
    void build_chunk_keys(const AttnBatch &b);
    void build_chunk_bounds(const AttnBatch &b);
    void longheads_full_group(const AttnBatch &b, int32_t i, int32_t g, AttnScratch &s);
    void longheads_group(const AttnBatch &b, int32_t chunk, int32_t kvh, AttnScratch &s);
    // Its phases: select_rows (longheads_select.cpp), then the whole selected chunks, then each
    // token's own chunk and the outputs.
    const float *row_query(const AttnBatch &b, const GroupRows &g, int32_t r) const {
        return qrow(b, g.t0 + r / group - b.pos0, g.h0 + r % group);
    }
    void select_rows(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const;
    void attend_selected_chunks(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const;
    void attend_own_chunk(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const;
    // Chunks of query head h (query q before RoPE) for a token of chunk m, by cfg.chunk_score.
    int32_t select(int32_t layer, int32_t h, int32_t m, const float *q, AttnScratch &s, int32_t *out) const;
    // Key-based (max, bound) candidate scores of R <= kMaxKeyRows queries query(0..R-1) (before
    // RoPE) of KV head kvh, one pass over its keys or bounds for all of them: s.cand_rows, row x
    // at x * max_chunks (the layout select_from_scores reads).
    template <class Query>
    void key_candidates(int32_t layer, int32_t kvh, int32_t m, int32_t R, const Query &query, AttnScratch &s) const;
};

}  // namespace lh
