// The 0.1 lh_*_params_init entry points, for programs built against the 0.1 header: they fill
// the 0.1 layouts (docs/ABI.md).
#include "api/api_compat.h"

using namespace lh::api;

// The 0.2 header makes these names macros over lh_*_params_init_sized; this file alone defines
// the functions of the same names that 0.1 programs call.
#undef lh_model_params_init
#undef lh_context_params_init
#undef lh_sampler_params_init
#undef lh_generate_params_init

extern "C" {
LH_API void lh_model_params_init(lh_model_params *params);
LH_API void lh_context_params_init(lh_context_params *params);
LH_API void lh_sampler_params_init(lh_sampler_params *params);
LH_API void lh_generate_params_init(lh_generate_params *params);

LH_API void lh_model_params_init(lh_model_params *params) {
    lh_model_params_init_sized(params, sizeof(ModelParamsV0_1));
}

LH_API void lh_context_params_init(lh_context_params *params) {
    lh_context_params_init_sized(params, sizeof(ContextParamsV0_1));
}

LH_API void lh_sampler_params_init(lh_sampler_params *params) {
    lh_sampler_params_init_sized(params, sizeof(SamplerParamsV0_1));
}

// 0.1 embedded the sampler params: write that layout, with today's defaults.
LH_API void lh_generate_params_init(lh_generate_params *params) {
    if (!params) return;
    lh_generate_params now;
    lh_generate_params_init_sized(&now, sizeof now);
    lh_sampler_params sampling;
    lh_sampler_params_init_sized(&sampling, sizeof sampling);
    GenerateParamsV0_1 old{};
    old.struct_size = sizeof old;
    old.max_tokens = now.max_tokens;
    old.sampling.struct_size = sizeof old.sampling;
    old.sampling.temperature = sampling.temperature;
    old.sampling.top_k = sampling.top_k;
    old.sampling.top_p = sampling.top_p;
    old.sampling.min_p = sampling.min_p;
    old.sampling.repeat_penalty = sampling.repeat_penalty;
    old.sampling.repeat_last_n = sampling.repeat_last_n;
    old.sampling.seed = sampling.seed;
    old.stop = nullptr;
    old.n_stop = 0;
    old.add_bos = now.add_bos;
    old.stop_at_eog = now.stop_at_eog;
    std::memcpy(static_cast<void *>(params), &old, sizeof old);
}

}  // extern "C"
