// LongHeads chunk selection (docs/ATTENTION.md, steps 1-2): the faithful score q . c_j, or a
// key-based score (max, bound) computed for up to kMaxKeyRows query rows of a KV head at once.
#include <algorithm>

#include "attention/attention_impl.h"

namespace lh {

int32_t Attention::Impl::select(int32_t layer, int32_t h, int32_t m, const float *q, AttnScratch &s,
                                int32_t *out) const {
    if (cfg.chunk_score == LH_CHUNK_SCORE_FAITHFUL)
        return attn::select_chunks(q, chunks.chunk_keys(layer, h), d, m, n_best, cfg.local_chunks, s.cand_scores,
                                   s.cand, out);
    key_candidates(layer, h / group, m, 1, [q](int32_t) { return q; }, s);
    return attn::select_from_scores(s.cand_rows, m, n_best, cfg.local_chunks, s.cand, out);
}

// max: score_j = max_i R(w-1)q . k~_{jw+i}, the cached keys already at their local offset i.
// bound: score_j = [max(R(w-1)q, 0) | min(R(w-1)q, 0)] . [max_j | min_j], one tiled row per chunk.
template <class Query>
void Attention::Impl::key_candidates(int32_t layer, int32_t kvh, int32_t m, int32_t R, const Query &query,
                                     AttnScratch &s) const {
    const int32_t last = attn::last_candidate(m, cfg.local_chunks);
    if (last < 1 || n_best <= 0) return;  // no candidates: select_from_scores reads none
    const bool bound = uses_bounds(cfg);
    // How much of the key box's half-range the score credits: all of it is Quest's upper bound.
    const float spread = cfg.chunk_score == LH_CHUNK_SCORE_BOUND_MID ? 0.5f : 1.0f;
    const float *cs = rope.at(cfg.chunk_size - 1);
    const int32_t n_rot = rot_dims(layer);
    for (int32_t x = 0; x < R; ++x) {
        if (bound) {
            float *qb = s.qkey + static_cast<int64_t>(x) * 2 * d;
            attn::rope_apply(cs, n_rot, d, query(x), qb + d, cfg.rope_neox);
            attn::bound_query(qb + d, d, spread, qb);
        } else {
            attn::rope_apply(cs, n_rot, d, query(x), s.qkey + static_cast<int64_t>(x) * d, cfg.rope_neox);
        }
    }
    with_kv_type([&](auto type) {
        using T = decltype(type);
        if (bound)
            attn::tile_scores(bounds.rows<T>(layer, kvh), 2 * d, 1, last + 1, s.qkey, R, s.cand_rows, max_chunks);
        else
            attn::max_key_scores(kv.keys<T>(layer, kvh), d, cfg.chunk_size, last, s.qkey, R, s.key_scores,
                                 s.cand_rows, max_chunks);
    });
}

// Phase 1 of longheads_group: the selection of every (token, head) row, sels[r * max_selected ..]
// with n_sel[r] entries, ascending, the last one chunk m.
void Attention::Impl::select_rows(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const {
    const int32_t G = group, ms = max_selected, n_rows = g.n_tokens * G;
    if (cfg.prefill_mode == LH_PREFILL_BLOCK) {  // each head: one selection, by its mean query
        for (int32_t gh = 0; gh < G; ++gh) {
            float *qbar = s.qtmp;
            std::fill(qbar, qbar + d, 0.0f);
            for (int32_t i = 0; i < g.n_tokens; ++i) {
                const float *q = row_query(b, g, i * G + gh);
                for (int32_t x = 0; x < d; ++x) qbar[x] += q[x];
            }
            const float inv = 1.0f / static_cast<float>(g.n_tokens);
            for (int32_t x = 0; x < d; ++x) qbar[x] *= inv;
            const int32_t n = select(b.layer, g.h0 + gh, g.m, qbar, s, s.sel);
            for (int32_t i = 0; i < g.n_tokens; ++i) {
                const int32_t r = i * G + gh;
                std::copy(s.sel, s.sel + n, s.sels + static_cast<int64_t>(r) * ms);
                s.n_sel[r] = n;
            }
        }
    } else if (cfg.chunk_score != LH_CHUNK_SCORE_FAITHFUL) {  // up to kMaxKeyRows rows per pass
        for (int32_t r0 = 0; r0 < n_rows; r0 += attn::kMaxKeyRows) {
            const int32_t R = std::min(attn::kMaxKeyRows, n_rows - r0);
            key_candidates(b.layer, g.kvh, g.m, R, [&](int32_t x) { return row_query(b, g, r0 + x); }, s);
            for (int32_t x = 0; x < R; ++x)
                s.n_sel[r0 + x] =
                    attn::select_from_scores(s.cand_rows + static_cast<int64_t>(x) * max_chunks, g.m, n_best,
                                             cfg.local_chunks, s.cand, s.sels + static_cast<int64_t>(r0 + x) * ms);
        }
    } else {
        for (int32_t r = 0; r < n_rows; ++r)
            s.n_sel[r] = select(b.layer, g.h0 + r % G, g.m, row_query(b, g, r), s, s.sels + static_cast<int64_t>(r) * ms);
    }
}

}  // namespace lh
