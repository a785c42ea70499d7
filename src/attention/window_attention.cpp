// Window mode (StreamingLLM-style): sinks 0..S-1 plus the last L-S tokens, slots 0..L-1.
// Keys are stored at their true positions: the sinks' slots equal their positions, and the recent
// tokens keep their true distance to the query, so only the query needs two rotations:
// at L-1 for the sinks and at t for the recent tokens.
#include <algorithm>

#include "attention/attention_impl.h"

namespace lh {

void Attention::Impl::window_forward(const AttnBatch &b) {
    const int32_t nkv = cfg.n_head_kv, G = group, L = cfg.attn_len, S = cfg.n_sinks;
    const int64_t items = static_cast<int64_t>(nkv) * b.n;
    for_each_item(b, items, grain_for(items), [&](int64_t item, AttnScratch &s) {
        const int32_t g = static_cast<int32_t>(item / b.n), i = static_cast<int32_t>(item % b.n);
        const int32_t t = b.pos0 + i;
        const float *q = qrow(b, i, g * G);
        const int64_t qs = static_cast<int64_t>(G) * d;
        int32_t n_seg = 0;
        if (t < L) {
            rotate_queries(b.layer, q, G, t, s.qrot);
            s.segs[n_seg++] = {0, t + 1, s.qrot};
        } else {
            if (S > 0) {
                rotate_queries(b.layer, q, G, L - 1, s.qrot);
                s.segs[n_seg++] = {0, S, s.qrot};
            }
            rotate_queries(b.layer, q, G, t, s.qrot + qs);
            s.segs[n_seg++] = {t - (L - S) + 1, L - S, s.qrot + qs};
        }
        attend(b.layer, g, G, s.segs, n_seg, s, orow(b, i, g * G));
        if (i == b.n - 1)
            for (int32_t h = g * G; h < (g + 1) * G; ++h) set_last_selection(b.layer, h, nullptr, 0);
    }, worth_sharing(b, std::min<int64_t>(L, b.pos0 + b.n)));
}

}  // namespace lh
