// Full mode: causal attention at true positions (keys stored rotated at their position).
#include "attention/attention_impl.h"

namespace lh {

void Attention::Impl::full_forward(const AttnBatch &b) {
    const int32_t nh = cfg.n_head;
    const int64_t items = static_cast<int64_t>(nh) * b.n;
    const int64_t grain = std::max<int64_t>(1, items / (static_cast<int64_t>(n_slots) * 8));
    for_each_item(items, grain, [&](int64_t item, AttnScratch &s) {
        const int32_t h = static_cast<int32_t>(item / b.n), i = static_cast<int32_t>(item % b.n);
        const int32_t t = b.pos0 + i;
        attn::rope_apply(rope.at(t), cfg.n_rot, d, qrow(b, i, h), s.qrot);
        s.segs[0] = {0, t + 1, s.qrot};
        attend_any(b.layer, h, s.segs, 1, s.scores, orow(b, i, h));
        if (i == b.n - 1) set_last_selection(b.layer, h, nullptr, 0);
    });
}

}  // namespace lh
