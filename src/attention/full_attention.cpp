// Full mode: causal attention at true positions (keys stored rotated at their position).
// One work item = one token x one KV group: the group's query heads share every key/value load.
#include "attention/attention_impl.h"

namespace lh {

void Attention::Impl::full_forward(const AttnBatch &b) {
    const int32_t nkv = cfg.n_head_kv, G = group;
    const int64_t items = static_cast<int64_t>(nkv) * b.n;
    for_each_item(b, items, grain_for(items), [&](int64_t item, AttnScratch &s) {
        const int32_t g = static_cast<int32_t>(item / b.n), i = static_cast<int32_t>(item % b.n);
        const int32_t t = b.pos0 + i;
        rotate_queries(b.layer, qrow(b, i, g * G), G, t, s.qrot);
        s.segs[0] = {0, t + 1, s.qrot};
        attend(b.layer, g, G, s.segs, 1, s, orow(b, i, g * G));
        if (i == b.n - 1)
            for (int32_t h = g * G; h < (g + 1) * G; ++h) set_last_selection(b.layer, h, nullptr, 0);
    }, worth_sharing(b, b.pos0 + b.n));
}

}  // namespace lh
