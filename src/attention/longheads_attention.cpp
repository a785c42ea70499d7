// LongHeads mode (docs/ATTENTION.md): keys are cached rotated at their chunk-local offset
// (t mod w). Since R(a)q . R(b)k = R(a-b)q . k, attending chunk c with its tokens at slots
// p0 + (0..w-1) and the query at slot P-1 equals dotting the cached keys with the query rotated
// once by P-1-p0. The same holds below B: chunk c is attended with the query rotated by t-c*w.
#include <algorithm>

#include "attention/attention_impl.h"

namespace lh {

// Token t < B, all G query heads of KV group g: every chunk 0..m at true positions.
void Attention::Impl::longheads_full_group(const AttnBatch &b, int32_t i, int32_t g, AttnScratch &s) {
    const int32_t t = b.pos0 + i, w = cfg.chunk_size, m = t / w, G = group;
    const float *q = qrow(b, i, g * G);
    for (int32_t c = 0; c <= m; ++c) {
        float *qr = s.qrot + static_cast<int64_t>(c) * G * d;
        rotate_queries(b.layer, q, G, t - c * w, qr);
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

// Online-softmax state of rows[0..n) of `from` copied to rows 0..n-1 of `to` (or back).
void copy_rows(const attn::AttendBuffers &from, const int32_t *rows, int32_t n, int32_t d,
               const attn::AttendBuffers &to, bool gather) {
    for (int32_t x = 0; x < n; ++x) {
        const int32_t src = gather ? rows[x] : x, dst = gather ? x : rows[x];
        to.m[dst] = from.m[src];
        to.l[dst] = from.l[src];
        std::copy(from.o + static_cast<int64_t>(src) * d, from.o + static_cast<int64_t>(src + 1) * d,
                  to.o + static_cast<int64_t>(dst) * d);
    }
}

}  // namespace

// Phase 2: every selected whole chunk, in ascending order, scored once for all the rows that
// selected it (each query rotated for its own P), so a chunk several heads chose (always the
// sink and the local chunks) is read once, not once per head.
void Attention::Impl::attend_selected_chunks(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const {
    const int32_t w = cfg.chunk_size, G = group, ms = max_selected, n_all = g.n_tokens * G;
    attn::attend_begin(d, n_all, s.blk);
    std::fill(s.ptr, s.ptr + n_all, 0);
    for (;;) {
        int32_t c = g.m;  // smallest pending chunk below m
        for (int32_t r = 0; r < n_all; ++r) c = std::min(c, s.sels[static_cast<int64_t>(r) * ms + s.ptr[r]]);
        if (c == g.m) break;
        int32_t n_rows = 0;
        for (int32_t r = 0; r < n_all; ++r) {
            const int32_t k = s.ptr[r];
            if (s.sels[static_cast<int64_t>(r) * ms + k] != c) continue;
            const int32_t t = g.t0 + r / G, P = (s.n_sel[r] - 1) * w + (t - g.m * w + 1);
            rotate_queries(b.layer, row_query(b, g, r), 1, P - 1 - k * w, s.qblk + static_cast<int64_t>(n_rows) * d);
            s.rows[n_rows++] = r;
            ++s.ptr[r];
        }
        const attn::Segment sg{c * w, w, s.qblk};
        if (n_rows == n_all) {  // every row: work on the state in place
            segment(kv, b.layer, g.kvh, d, n_rows, sg, s.blk, 0);
            continue;
        }
        copy_rows(s.blk, s.rows, n_rows, d, s.sub, true);
        segment(kv, b.layer, g.kvh, d, n_rows, sg, s.sub, 0);
        copy_rows(s.sub, s.rows, n_rows, d, s.blk, false);
    }
}

// Phase 3: each token's own chunk m, tokens m*w .. t, its G queries at the local offset t - m*w
// (= P-1 - slot*w), then its G output rows (contiguous heads h0..h0+G-1).
void Attention::Impl::attend_own_chunk(const AttnBatch &b, const GroupRows &g, AttnScratch &s) const {
    const int32_t w = cfg.chunk_size, G = group;
    for (int32_t i = 0; i < g.n_tokens; ++i) {
        const int32_t t = g.t0 + i;
        float *qr = s.qblk + static_cast<int64_t>(i) * G * d;
        rotate_queries(b.layer, qrow(b, t - b.pos0, g.h0), G, t - g.m * w, qr);
        const attn::Segment sg{g.m * w, t - g.m * w + 1, qr};
        segment(kv, b.layer, g.kvh, d, G, sg, s.blk, i * G);
        const attn::AttendBuffers rows_i{s.blk.scores, s.blk.m + i * G, s.blk.l + i * G,
                                         s.blk.o + static_cast<int64_t>(i) * G * d};
        attn::attend_end(d, G, rows_i, orow(b, t - b.pos0, g.h0), d);
    }
}

// The tokens of chunk m in this batch with the G query heads of KV head kvh: tokens below B
// attend fully; the rest select their chunks (per row, or block-shared per head) and attend them.
// Per row this is exactly docs/ATTENTION.md: its chunks in ascending order, positions 0..P-1.
void Attention::Impl::longheads_group(const AttnBatch &b, int32_t m, int32_t kvh, AttnScratch &s) {
    const int32_t w = cfg.chunk_size, end = b.pos0 + b.n;
    const int32_t lo = std::max(m * w, b.pos0), hi = std::min((m + 1) * w, end);
    const int32_t shared_lo = std::max(lo, cfg.begin_len);
    for (int32_t t = lo; t < std::min(hi, shared_lo); ++t) longheads_full_group(b, t - b.pos0, kvh, s);
    if (shared_lo >= hi) return;
    const GroupRows g{m, kvh, kvh * group, shared_lo, hi - shared_lo};
    select_rows(b, g, s);
    attend_selected_chunks(b, g, s);
    attend_own_chunk(b, g, s);
    if (hi == end)
        for (int32_t gh = 0; gh < group; ++gh) {
            const int32_t r = (g.n_tokens - 1) * group + gh;
            set_last_selection(b.layer, g.h0 + gh, s.sels + static_cast<int64_t>(r) * max_selected, s.n_sel[r]);
        }
}

void Attention::Impl::longheads_forward(const AttnBatch &b) {
    if (cfg.chunk_score == LH_CHUNK_SCORE_FAITHFUL) build_chunk_keys(b);
    if (uses_bounds(cfg)) build_chunk_bounds(b);
    const int32_t w = cfg.chunk_size;
    const int32_t m0 = b.pos0 / w, m1 = (b.pos0 + b.n - 1) / w;
    const int32_t n_chunks = m1 - m0 + 1;
    const int64_t items = static_cast<int64_t>(cfg.n_head_kv) * n_chunks;
    for_each_item(b, items, grain_for(items), [&](int64_t item, AttnScratch &s) {
        longheads_group(b, m0 + static_cast<int32_t>(item % n_chunks), static_cast<int32_t>(item / n_chunks), s);
    }, worth_sharing(b, std::min<int64_t>(cfg.attn_len, b.pos0 + b.n)));
}

}  // namespace lh
