#include "args.h"

#include <random>

namespace cli {

Args::Args() {
    lh_model_params_init(&model);
    lh_context_params_init(&context);
    lh_sampler_params_init(&sampling);
    lh_generate_params generate;
    lh_generate_params_init(&generate);
    n_predict = generate.max_tokens;
}

lh_model_params model_params(const Args &args) {
    lh_model_params p = args.model;
    p.n_threads = args.n_threads;
    return p;
}

lh_context_params context_params(const Args &args) {
    lh_context_params p = args.context;
    p.n_threads = args.n_threads;
    return p;
}

uint64_t resolve_seed(const Args &args) {
    if (args.seed >= 0) return static_cast<uint64_t>(args.seed);
    // 32 bits: short enough to type back in with --seed.
    std::random_device device;
    return device();
}

}  // namespace cli
