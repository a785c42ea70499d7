// What programs built against an earlier header need (docs/ABI.md):
// - structs that are not a prefix of today's, recognised by their struct_size and read field by
//   field. Only lh_generate_params changed shape so far: 0.1 embedded lh_sampler_params by
//   value, 0.2 points to it;
// - the 0.1 lh_*_params_init(params) functions, which took no size: their callers' structs have
//   the 0.1 sizes (0.2 callers reach lh_*_params_init_sized through the header's macros).
#pragma once

#include <cstring>

#include "longheads/longheads.h"

namespace lh::api {

// The 0.1.0 layouts, copied from tests/abi/longheads_v0_1_0.h.
struct ModelParamsV0_1 {
    uint32_t struct_size;
    int32_t precision;
    int32_t n_threads;
};
struct ContextParamsV0_1 {
    uint32_t struct_size;
    int32_t n_ctx, n_threads, n_batch, attention, chunk_size, attn_len, begin_len, n_sinks;
    int32_t allow_attn_len_over_trained, prefill_mode, kv_type;
    uint64_t memory_budget_bytes;
    int32_t chunk_score;
};
struct SamplerParamsV0_1 {
    uint32_t struct_size;
    float temperature;
    int32_t top_k;
    float top_p;
    float min_p;
    float repeat_penalty;
    int32_t repeat_last_n;
    uint64_t seed;
};
struct GenerateParamsV0_1 {
    uint32_t struct_size;
    int32_t max_tokens;
    SamplerParamsV0_1 sampling;
    const char *const *stop;
    size_t n_stop;
    int32_t add_bos;
    int32_t stop_at_eog;
};

// A struct_size that names the 0.1 layout must never be today's size: when a field appended to
// lh_generate_params makes them equal, add a reserved field.
static_assert(sizeof(GenerateParamsV0_1) != sizeof(lh_generate_params), "0.1 and current sizes must differ");

inline bool is_v0_1(const lh_generate_params *given) {
    return given && given->struct_size == sizeof(GenerateParamsV0_1);
}

// Today's struct for a 0.1 one; its sampling points into `sampling`.
inline lh_generate_params from_v0_1(const void *given, lh_sampler_params &sampling) {
    GenerateParamsV0_1 old;
    std::memcpy(&old, given, sizeof old);
    lh_sampler_params_init_sized(&sampling, sizeof sampling);
    sampling.temperature = old.sampling.temperature;
    sampling.top_k = old.sampling.top_k;
    sampling.top_p = old.sampling.top_p;
    sampling.min_p = old.sampling.min_p;
    sampling.repeat_penalty = old.sampling.repeat_penalty;
    sampling.repeat_last_n = old.sampling.repeat_last_n;
    sampling.seed = old.sampling.seed;
    lh_generate_params p;
    lh_generate_params_init_sized(&p, sizeof p);
    p.max_tokens = old.max_tokens;
    p.sampling = &sampling;
    p.stop = old.stop;
    p.n_stop = old.n_stop;
    p.add_bos = old.add_bos;
    p.stop_at_eog = old.stop_at_eog;
    return p;
}

}  // namespace lh::api
