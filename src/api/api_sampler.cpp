// C entry points: samplers.
#include "api/api_internal.h"

using namespace lh;
using namespace lh::api;

namespace lh::api {

SamplerOptions to_sampler_options(const lh_sampler_params &p) {
    SamplerOptions o;
    o.temperature = p.temperature;
    o.top_k = p.top_k;
    o.top_p = p.top_p;
    o.min_p = p.min_p;
    o.repeat_penalty = p.repeat_penalty;
    o.repeat_last_n = p.repeat_last_n;
    o.seed = p.seed;
    return o;
}

}  // namespace lh::api

extern "C" {

LH_API void lh_sampler_params_init_sized(lh_sampler_params *params, size_t size) {
    SamplerOptions o;
    lh_sampler_params p{};
    p.struct_size = sizeof p;
    p.temperature = o.temperature;
    p.top_k = o.top_k;
    p.top_p = o.top_p;
    p.min_p = o.min_p;
    p.repeat_penalty = o.repeat_penalty;
    p.repeat_last_n = o.repeat_last_n;
    p.seed = o.seed;
    init_struct(params, p, size);
}

LH_API lh_status lh_sampler_create(const lh_sampler_params *params, lh_sampler **out_sampler) {
    return guarded([&] {
        require_arg(out_sampler != nullptr, "out_sampler is NULL");
        lh_sampler_params d;
        lh_sampler_params_init(&d);
        auto handle = std::make_unique<lh_sampler>();
        handle->sampler = std::make_unique<Sampler>(to_sampler_options(read_params(params, d, "lh_sampler_params")));
        *out_sampler = handle.release();
    });
}

LH_API void lh_sampler_free(lh_sampler *sampler) { delete sampler; }

LH_API lh_status lh_sampler_sample(lh_sampler *sampler, const float *logits, int32_t n_vocab, int32_t *out_token) {
    return guarded([&] {
        require_arg(sampler != nullptr, "sampler is NULL");
        require_arg(logits != nullptr, "logits is NULL");
        require_arg(out_token != nullptr, "out_token is NULL");
        require_arg(n_vocab > 0, "n_vocab must be > 0");
        *out_token = sampler->sampler->sample(logits, n_vocab);
    });
}

LH_API lh_status lh_sampler_accept(lh_sampler *sampler, const int32_t *tokens, size_t n_tokens) {
    return guarded([&] {
        require_arg(sampler != nullptr, "sampler is NULL");
        require_arg(tokens != nullptr || n_tokens == 0, "tokens is NULL");
        for (size_t i = 0; i < n_tokens; ++i) sampler->sampler->accept(tokens[i]);
    });
}

}  // extern "C"
