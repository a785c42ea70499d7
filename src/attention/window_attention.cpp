// Window mode (StreamingLLM-style): sinks 0..S-1 plus the last L-S tokens, slots 0..L-1.
// Keys are stored at their true positions: the sinks' slots equal their positions, and the recent
// tokens keep their true distance to the query, so only the query needs two rotations:
// at L-1 for the sinks and at t for the recent tokens.
#include "attention/attention_impl.h"

namespace lh {

void Attention::Impl::window_forward(const AttnBatch &b) {
    const int32_t nh = cfg.n_head, L = cfg.attn_len, S = cfg.n_sinks;
    const int64_t items = static_cast<int64_t>(nh) * b.n;
    const int64_t grain = std::max<int64_t>(1, items / (static_cast<int64_t>(n_slots) * 8));
    for_each_item(items, grain, [&](int64_t item, AttnScratch &s) {
        const int32_t h = static_cast<int32_t>(item / b.n), i = static_cast<int32_t>(item % b.n);
        const int32_t t = b.pos0 + i;
        const float *q = qrow(b, i, h);
        int32_t n_seg = 0;
        if (t < L) {
            attn::rope_apply(rope.at(t), cfg.n_rot, d, q, s.qrot);
            s.segs[n_seg++] = {0, t + 1, s.qrot};
        } else {
            if (S > 0) {
                attn::rope_apply(rope.at(L - 1), cfg.n_rot, d, q, s.qrot);
                s.segs[n_seg++] = {0, S, s.qrot};
            }
            float *qr = s.qrot + d;
            attn::rope_apply(rope.at(t), cfg.n_rot, d, q, qr);
            s.segs[n_seg++] = {t - (L - S) + 1, L - S, qr};
        }
        attend_any(b.layer, h, s.segs, n_seg, s.scores, orow(b, i, h));
        if (i == b.n - 1) set_last_selection(b.layer, h, nullptr, 0);
    });
}

}  // namespace lh
