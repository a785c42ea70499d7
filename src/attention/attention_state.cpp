// The attention cache as state: listing it for save/load/fork, cutting it back for prefix reuse.
#include <algorithm>
#include <string>

#include "attention/attention.h"
#include "attention/attention_impl.h"
#include "common/error.h"

namespace lh {

kv::StateRegions Attention::state_regions(int32_t n_tokens) const {
    const Impl &I = *impl_;
    for (int32_t cached : I.n_cached)
        require(cached == n_tokens, LH_ERROR_INTERNAL,
                "attention: state of " + std::to_string(n_tokens) + " tokens asked, a layer holds " +
                    std::to_string(cached));
    kv::StateRegions out;
    I.kv.state_regions(n_tokens, out);
    if (uses_chunk_keys(I.cfg)) I.chunks.state_regions(n_tokens, out);
    if (uses_bounds(I.cfg)) I.bounds.state_regions(n_tokens, out);
    return out;
}

int32_t Attention::truncate(int32_t n_keep) {
    Impl &I = *impl_;
    int32_t kept = n_keep;
    for (int32_t cached : I.n_cached) {
        require(n_keep >= 0 && n_keep <= cached, LH_ERROR_INTERNAL,
                "attention: cannot cut a layer of " + std::to_string(cached) + " tokens to " + std::to_string(n_keep));
        if (uses_chunk_keys(I.cfg)) kept = std::min(kept, I.chunks.keepable(n_keep, cached));
    }
    I.kv.clear_from(kept);
    if (uses_chunk_keys(I.cfg)) I.chunks.clear_from(kept);
    if (uses_bounds(I.cfg)) I.bounds.clear_from(kept);
    restore(kept);
    return kept;
}

void Attention::restore(int32_t n_tokens) {
    Impl &I = *impl_;
    require(n_tokens >= 0 && n_tokens <= I.cfg.n_ctx, LH_ERROR_INTERNAL, "attention: token count out of range");
    std::fill(I.n_cached.begin(), I.n_cached.end(), n_tokens);
    for (auto &s : I.last_sel) s.clear();
}

}  // namespace lh
