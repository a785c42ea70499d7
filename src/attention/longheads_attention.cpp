// LongHeads mode (docs/ATTENTION.md): keys are cached rotated at their chunk-local offset
// (t mod w). Since R(a)q . R(b)k = R(a-b)q . k, attending chunk c with its tokens at slots
// p0 + (0..w-1) and the query at slot P-1 equals dotting the cached keys with the query rotated
// once by P-1-p0. The same holds below B: chunk c is attended with the query rotated by t-c*w.
#include <algorithm>

#include "attention/attention_impl.h"
#include "attention/chunk_keys.h"

namespace lh {

void Attention::Impl::build_chunk_keys(const AttnBatch &b) {
    const int32_t w = cfg.chunk_size, nh = cfg.n_head;
    const int32_t j_first = b.pos0 / w, j_end = (b.pos0 + b.n) / w;  // chunks completed by this batch
    const int32_t n_done = j_end - j_first;
    if (n_done > 0) {
        const int64_t items = static_cast<int64_t>(nh) * n_done;
        for_each_item(items, 1, [&](int64_t item, AttnScratch &s) {
            const int32_t h = static_cast<int32_t>(item / n_done), j = j_first + static_cast<int32_t>(item % n_done);
            const float *pend = chunks.pending(b.layer, h);
            for (int32_t r = 0; r < w; ++r) {
                const int32_t t = j * w + r;
                float *dst = s.chunk_q + static_cast<int64_t>(r) * d;
                if (t < b.pos0)
                    std::copy(pend + static_cast<int64_t>(r) * d, pend + static_cast<int64_t>(r + 1) * d, dst);
                else
                    rotate_queries(qrow(b, t - b.pos0, h), 1, r, dst);
            }
            const int32_t g = h / group;
            const int64_t start = static_cast<int64_t>(j) * w;
            float *ck = s.chunk_out;
            with_kv_type([&](auto type) {
                using T = decltype(type);
                attn::build_chunk_key(kv.keys<T>(b.layer, g), kv.values<T>(b.layer, g), start, s.chunk_q, w, d,
                                      scale, s.chunk_tmp, ck);
            });
            chunks.put_chunk_key(b.layer, h, j, ck);
        });
    }
    // Keep the queries of the (incomplete) last chunk for when it completes.
    const int32_t tail = std::max(j_end * w, b.pos0);
    for (int32_t t = tail; t < b.pos0 + b.n; ++t)
        for (int32_t h = 0; h < nh; ++h)
            rotate_queries(qrow(b, t - b.pos0, h), 1, t % w,
                           chunks.pending(b.layer, h) + static_cast<int64_t>(t % w) * d);
}

int32_t Attention::Impl::select(int32_t layer, int32_t h, int32_t m, const float *q, AttnScratch &s,
                                int32_t *out) const {
    if (cfg.chunk_score != LH_CHUNK_SCORE_MAX_KEY)
        return attn::select_chunks(q, chunks.chunk_keys(layer, h), d, m, n_best, s.cand_scores, s.cand, out);
    max_key_candidates(layer, h / group, m, 1, [q](int32_t) { return q; }, s);
    return attn::select_from_scores(s.cand_rows, m, n_best, s.cand, out);
}

// Opt-in: score_j = max_i R(w-1)q . k~_{jw+i}; the cached keys are already at their local offset i.
template <class Query>
void Attention::Impl::max_key_candidates(int32_t layer, int32_t kvh, int32_t m, int32_t R, const Query &query,
                                         AttnScratch &s) const {
    if (m < 3 || n_best <= 0) return;  // no candidates: select_from_scores reads none
    for (int32_t x = 0; x < R; ++x)
        attn::rope_apply(rope.at(cfg.chunk_size - 1), cfg.n_rot, d, query(x), s.qmax + static_cast<int64_t>(x) * d,
                         cfg.rope_neox);
    with_kv_type([&](auto type) {
        using T = decltype(type);
        attn::max_key_scores(kv.keys<T>(layer, kvh), d, cfg.chunk_size, m, s.qmax, R, s.key_scores, s.cand_rows,
                             max_chunks);
    });
}

// Token t < B, all G query heads of KV group g: every chunk 0..m at true positions.
void Attention::Impl::longheads_full_group(const AttnBatch &b, int32_t i, int32_t g, AttnScratch &s) {
    const int32_t t = b.pos0 + i, w = cfg.chunk_size, m = t / w, G = group;
    const float *q = qrow(b, i, g * G);
    for (int32_t c = 0; c <= m; ++c) {
        float *qr = s.qrot + static_cast<int64_t>(c) * G * d;
        rotate_queries(q, G, t - c * w, qr);
        s.segs[c] = {c * w, std::min(w, t + 1 - c * w), qr};
    }
    attend(b.layer, g, G, s.segs, m + 1, s, orow(b, i, g * G));
    if (i == b.n - 1)
        for (int32_t h = g * G; h < (g + 1) * G; ++h) set_last_selection(b.layer, h, nullptr, 0);
}

namespace {

// One segment of cached tokens folded into rows [row, row + G) of buf, for the cache's type.
void segment(const kv::KvCache &kv, int32_t layer, int32_t kvh, int32_t d, int32_t G, const attn::Segment &sg,
             const attn::AttendBuffers &buf, int32_t row) {
    switch (kv.type()) {
        case LH_KV_BF16:
            attn::attend_segment(kv.keys<uint16_t>(layer, kvh), kv.values<uint16_t>(layer, kvh), d, G, sg, buf, row);
            break;
        case LH_KV_Q8:
            attn::attend_segment(kv.keys<int8_t>(layer, kvh), kv.values<int8_t>(layer, kvh), d, G, sg, buf, row);
            break;
        default:
            attn::attend_segment(kv.keys<float>(layer, kvh), kv.values<float>(layer, kvh), d, G, sg, buf, row);
            break;
    }
}

}  // namespace

// The tokens t >= B of chunk m in this batch, all G query heads of KV head kvh: one row per
// (token, head), token-major (row r = i * G + gh). Each row selects its chunks (or, block-shared,
// each head uses the selection of its mean query); then every selected chunk is scored once for
// all the rows that selected it (each query rotated for its own P), so a chunk that several heads
// of the group chose (always chunks 0 and m-1) is read once, not once per head. Each token's own
// chunk prefix comes last, for its G heads at once (same positions for all of them). Per row
// this is exactly docs/ATTENTION.md: its chunks in ascending order, positions 0..P-1.
void Attention::Impl::longheads_group(const AttnBatch &b, int32_t m, int32_t kvh, AttnScratch &s) {
    const int32_t w = cfg.chunk_size, end = b.pos0 + b.n, G = group;
    const int32_t lo = std::max(m * w, b.pos0), hi = std::min((m + 1) * w, end);
    const int32_t shared_lo = std::max(lo, cfg.begin_len);
    for (int32_t t = lo; t < std::min(hi, shared_lo); ++t) longheads_full_group(b, t - b.pos0, kvh, s);
    if (shared_lo >= hi) return;
    const int32_t n_g = hi - shared_lo, n_rows_all = n_g * G, ms = max_selected, h0 = kvh * G;
    auto query = [&](int32_t r) { return qrow(b, shared_lo + r / G - b.pos0, h0 + r % G); };

    // 1. Selections: sels[r * ms ..] with n_sel[r] entries, ascending, last = m.
    if (cfg.prefill_mode == LH_PREFILL_BLOCK) {
        for (int32_t gh = 0; gh < G; ++gh) {
            float *qbar = s.qtmp;
            std::fill(qbar, qbar + d, 0.0f);
            for (int32_t i = 0; i < n_g; ++i) {
                const float *q = query(i * G + gh);
                for (int32_t x = 0; x < d; ++x) qbar[x] += q[x];
            }
            const float inv = 1.0f / static_cast<float>(n_g);
            for (int32_t x = 0; x < d; ++x) qbar[x] *= inv;
            const int32_t n = select(b.layer, h0 + gh, m, qbar, s, s.sel);
            for (int32_t i = 0; i < n_g; ++i) {
                const int32_t r = i * G + gh;
                std::copy(s.sel, s.sel + n, s.sels + static_cast<int64_t>(r) * ms);
                s.n_sel[r] = n;
            }
        }
    } else if (cfg.chunk_score == LH_CHUNK_SCORE_MAX_KEY) {  // up to 8 rows per pass over the keys
        for (int32_t r0 = 0; r0 < n_rows_all; r0 += attn::kMaxKeyRows) {
            const int32_t R = std::min(attn::kMaxKeyRows, n_rows_all - r0);
            max_key_candidates(b.layer, kvh, m, R, [&](int32_t x) { return query(r0 + x); }, s);
            for (int32_t x = 0; x < R; ++x)
                s.n_sel[r0 + x] = attn::select_from_scores(s.cand_rows + static_cast<int64_t>(x) * max_chunks, m,
                                                           n_best, s.cand, s.sels + static_cast<int64_t>(r0 + x) * ms);
        }
    } else {
        for (int32_t r = 0; r < n_rows_all; ++r)
            s.n_sel[r] = select(b.layer, h0 + r % G, m, query(r), s, s.sels + static_cast<int64_t>(r) * ms);
    }

    // 2. Whole chunks, in ascending order, each for the rows that selected it.
    attn::attend_begin(d, n_rows_all, s.blk);
    for (int32_t r = 0; r < n_rows_all; ++r) s.ptr[r] = 0;
    for (;;) {
        int32_t c = m;  // smallest pending chunk below m
        for (int32_t r = 0; r < n_rows_all; ++r) c = std::min(c, s.sels[static_cast<int64_t>(r) * ms + s.ptr[r]]);
        if (c == m) break;
        int32_t n_rows = 0;
        for (int32_t r = 0; r < n_rows_all; ++r) {
            const int32_t k = s.ptr[r];
            if (s.sels[static_cast<int64_t>(r) * ms + k] != c) continue;
            const int32_t t = shared_lo + r / G, P = (s.n_sel[r] - 1) * w + (t - m * w + 1);
            rotate_queries(query(r), 1, P - 1 - k * w, s.qblk + static_cast<int64_t>(n_rows) * d);
            s.rows[n_rows++] = r;
            ++s.ptr[r];
        }
        const attn::Segment sg{c * w, w, s.qblk};
        if (n_rows == n_rows_all) {  // every row: work on the state in place
            segment(kv, b.layer, kvh, d, n_rows, sg, s.blk, 0);
            continue;
        }
        for (int32_t x = 0; x < n_rows; ++x) {  // gather the rows' state
            const int32_t r = s.rows[x];
            s.sub.m[x] = s.blk.m[r];
            s.sub.l[x] = s.blk.l[r];
            std::copy(s.blk.o + static_cast<int64_t>(r) * d, s.blk.o + static_cast<int64_t>(r + 1) * d,
                      s.sub.o + static_cast<int64_t>(x) * d);
        }
        segment(kv, b.layer, kvh, d, n_rows, sg, s.sub, 0);
        for (int32_t x = 0; x < n_rows; ++x) {  // and scatter it back
            const int32_t r = s.rows[x];
            s.blk.m[r] = s.sub.m[x];
            s.blk.l[r] = s.sub.l[x];
            std::copy(s.sub.o + static_cast<int64_t>(x) * d, s.sub.o + static_cast<int64_t>(x + 1) * d,
                      s.blk.o + static_cast<int64_t>(r) * d);
        }
    }

    // 3. Each token's own chunk m, tokens m*w .. t, its G queries at the local offset t - m*w
    //    (= P-1 - slot*w), then its G output rows (contiguous heads h0..h0+G-1).
    for (int32_t i = 0; i < n_g; ++i) {
        const int32_t t = shared_lo + i;
        float *qr = s.qblk + static_cast<int64_t>(i) * G * d;
        rotate_queries(qrow(b, t - b.pos0, h0), G, t - m * w, qr);
        const attn::Segment sg{m * w, t - m * w + 1, qr};
        segment(kv, b.layer, kvh, d, G, sg, s.blk, i * G);
        const attn::AttendBuffers rows_i{s.blk.scores, s.blk.m + i * G, s.blk.l + i * G,
                                         s.blk.o + static_cast<int64_t>(i) * G * d};
        attn::attend_end(d, G, rows_i, orow(b, t - b.pos0, h0), d);
    }
    if (hi == end)
        for (int32_t gh = 0; gh < G; ++gh) {
            const int32_t r = (n_g - 1) * G + gh;
            set_last_selection(b.layer, h0 + gh, s.sels + static_cast<int64_t>(r) * ms, s.n_sel[r]);
        }
}

void Attention::Impl::longheads_forward(const AttnBatch &b) {
    build_chunk_keys(b);
    const int32_t w = cfg.chunk_size;
    const int32_t m0 = b.pos0 / w, m1 = (b.pos0 + b.n - 1) / w;
    const int32_t n_chunks = m1 - m0 + 1;
    const int64_t items = static_cast<int64_t>(cfg.n_head_kv) * n_chunks;
    for_each_item(items, grain_for(items), [&](int64_t item, AttnScratch &s) {
        longheads_group(b, m0 + static_cast<int32_t>(item % n_chunks), static_cast<int32_t>(item / n_chunks), s);
    });
}

}  // namespace lh
