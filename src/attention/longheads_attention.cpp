// LongHeads mode (docs/ATTENTION.md): keys are cached rotated at their chunk-local offset
// (t mod w). Since R(a)q . R(b)k = R(a-b)q . k, attending chunk c with its tokens at slots
// p0 + (0..w-1) and the query at slot P-1 equals dotting the cached keys with the query rotated
// once by P-1-p0. The same holds below B: chunk c is attended with the query rotated by t-c*w.
#include <algorithm>

#include "attention/attention_impl.h"
#include "attention/chunk_keys.h"

namespace lh {

// Segments of a token t < B: every chunk 0..m at true positions.
int32_t Attention::Impl::full_segments(int32_t t, const float *q, AttnScratch &s) const {
    const Impl &I = *this;
    const int32_t w = I.cfg.chunk_size, m = t / w;
    for (int32_t c = 0; c <= m; ++c) {
        float *qr = s.qrot + static_cast<int64_t>(c) * I.d;
        attn::rope_apply(I.rope.at(t - c * w), I.cfg.n_rot, I.d, q, qr);
        s.segs[c] = {c * w, std::min(w, t + 1 - c * w), qr};
    }
    return m + 1;
}

// Segments of a token t attending the selected chunks sel[0..n_sel) (ascending, last = t's chunk).
int32_t Attention::Impl::selected_segments(int32_t t, const float *q, const int32_t *sel, int32_t n_sel,
                                           AttnScratch &s) const {
    const Impl &I = *this;
    const int32_t w = I.cfg.chunk_size, m = t / w, own = t - m * w + 1;
    const int32_t P = (n_sel - 1) * w + own;
    for (int32_t k = 0; k < n_sel; ++k) {
        float *qr = s.qrot + static_cast<int64_t>(k) * I.d;
        attn::rope_apply(I.rope.at(P - 1 - k * w), I.cfg.n_rot, I.d, q, qr);
        s.segs[k] = {sel[k] * w, k + 1 < n_sel ? w : own, qr};
    }
    return n_sel;
}

void Attention::Impl::build_chunk_keys(const AttnBatch &b) {
    const int32_t w = cfg.chunk_size, nh = cfg.n_head;
    const int32_t j_first = b.pos0 / w, j_end = (b.pos0 + b.n) / w;  // chunks completed by this batch
    const int32_t n_done = j_end - j_first;
    const bool bf16 = cfg.kv_type == LH_KV_BF16;
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
                    attn::rope_apply(rope.at(r), cfg.n_rot, d, qrow(b, t - b.pos0, h), dst);
            }
            const int32_t g = h / group;
            const int64_t off = static_cast<int64_t>(j) * w * d;
            float *ck = chunks.chunk_keys(b.layer, h) + static_cast<int64_t>(j) * d;
            if (bf16)
                attn::build_chunk_key(kv.keys<uint16_t>(b.layer, g) + off, kv.values<uint16_t>(b.layer, g) + off,
                                      s.chunk_q, w, d, scale, s.chunk_tmp, ck);
            else
                attn::build_chunk_key(kv.keys<float>(b.layer, g) + off, kv.values<float>(b.layer, g) + off,
                                      s.chunk_q, w, d, scale, s.chunk_tmp, ck);
        });
    }
    // Keep the queries of the (incomplete) last chunk for when it completes.
    const int32_t tail = std::max(j_end * w, b.pos0);
    for (int32_t t = tail; t < b.pos0 + b.n; ++t)
        for (int32_t h = 0; h < nh; ++h)
            attn::rope_apply(rope.at(t % w), cfg.n_rot, d, qrow(b, t - b.pos0, h),
                             chunks.pending(b.layer, h) + static_cast<int64_t>(t % w) * d);
}

void Attention::Impl::longheads_token(const AttnBatch &b, int32_t i, int32_t h, AttnScratch &s) {
    const int32_t t = b.pos0 + i;
    const float *q = qrow(b, i, h);
    const bool last = i == b.n - 1;
    if (t < cfg.begin_len) {
        const int32_t n_seg = full_segments(t, q, s);
        attend_any(b.layer, h, s.segs, n_seg, s.scores, orow(b, i, h));
        if (last) set_last_selection(b.layer, h, nullptr, 0);
        return;
    }
    const int32_t m = t / cfg.chunk_size;
    const int32_t n_sel = attn::select_chunks(q, chunks.chunk_keys(b.layer, h), d, m, n_best, s.cand, s.sel);
    const int32_t n_seg = selected_segments(t, q, s.sel, n_sel, s);
    attend_any(b.layer, h, s.segs, n_seg, s.scores, orow(b, i, h));
    if (last) set_last_selection(b.layer, h, s.sel, n_sel);
}

// Block-shared variant: the tokens t >= B of chunk m in this batch share the selection made
// with the mean of their queries (before RoPE). See docs/ATTENTION.md.
void Attention::Impl::longheads_block(const AttnBatch &b, int32_t m, int32_t h, AttnScratch &s) {
    const int32_t w = cfg.chunk_size, end = b.pos0 + b.n;
    const int32_t lo = std::max(m * w, b.pos0), hi = std::min((m + 1) * w, end);
    const int32_t shared_lo = std::max(lo, cfg.begin_len);
    for (int32_t t = lo; t < std::min(hi, shared_lo); ++t) longheads_token(b, t - b.pos0, h, s);
    if (shared_lo >= hi) return;
    float *qbar = s.qtmp;
    std::fill(qbar, qbar + d, 0.0f);
    for (int32_t t = shared_lo; t < hi; ++t) {
        const float *q = qrow(b, t - b.pos0, h);
        for (int32_t x = 0; x < d; ++x) qbar[x] += q[x];
    }
    const float inv = 1.0f / static_cast<float>(hi - shared_lo);
    for (int32_t x = 0; x < d; ++x) qbar[x] *= inv;
    const int32_t n_sel = attn::select_chunks(qbar, chunks.chunk_keys(b.layer, h), d, m, n_best, s.cand, s.sel);
    for (int32_t t = shared_lo; t < hi; ++t) {
        const int32_t i = t - b.pos0;
        const int32_t n_seg = selected_segments(t, qrow(b, i, h), s.sel, n_sel, s);
        attend_any(b.layer, h, s.segs, n_seg, s.scores, orow(b, i, h));
    }
    if (hi == end) set_last_selection(b.layer, h, s.sel, n_sel);
}

void Attention::Impl::longheads_forward(const AttnBatch &b) {
    build_chunk_keys(b);
    const int32_t nh = cfg.n_head, w = cfg.chunk_size;
    if (cfg.prefill_mode == LH_PREFILL_BLOCK && b.n > 1) {
        const int32_t m0 = b.pos0 / w, m1 = (b.pos0 + b.n - 1) / w;
        const int32_t n_chunks = m1 - m0 + 1;
        for_each_item(static_cast<int64_t>(nh) * n_chunks, 1, [&](int64_t item, AttnScratch &s) {
            longheads_block(b, m0 + static_cast<int32_t>(item % n_chunks), static_cast<int32_t>(item / n_chunks), s);
        });
        return;
    }
    const int64_t items = static_cast<int64_t>(nh) * b.n;
    const int64_t grain = std::max<int64_t>(1, items / (static_cast<int64_t>(n_slots) * 8));
    for_each_item(items, grain, [&](int64_t item, AttnScratch &s) {
        longheads_token(b, static_cast<int32_t>(item % b.n), static_cast<int32_t>(item / b.n), s);
    });
}

}  // namespace lh
