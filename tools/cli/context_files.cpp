#include "context_files.h"

#include <chrono>
#include <cstdio>

namespace cli {

void add_context_file_flags(CLI::App &cmd, Args &args) {
    cmd.add_option("--load-context", args.load_context,
                   "start from a context saved with --save-context (the prompt, if any, is appended to it)")
        ->type_name("FILE");
    cmd.add_option("--save-context", args.save_context,
                   "save the context once the prompt is evaluated (before generating; -n 0 only reads)")
        ->type_name("FILE");
}

ContextPtr make_or_load_context(const lh_model *model, const Args &args) {
    if (args.load_context.empty()) return make_context(model, args);
    lh_context_params p;
    p.struct_size = sizeof p;
    check(lh_context_file_params(args.load_context.c_str(), &p), "cannot load context");
    // A flag left at the library's default keeps the file's value; one that was changed wins
    // (and lh_context_load refuses attention values other than the saved ones).
    lh_context_params defaults;
    lh_context_params_init(&defaults);
    const lh_context_params &given = args.context;
    p.n_threads = args.n_threads;
    if (given.n_ctx != defaults.n_ctx) p.n_ctx = given.n_ctx;
    if (given.n_batch != defaults.n_batch) p.n_batch = given.n_batch;
    if (given.memory_budget_bytes != defaults.memory_budget_bytes) p.memory_budget_bytes = given.memory_budget_bytes;
    if (given.attention != defaults.attention) p.attention = given.attention;
    if (given.chunk_size != defaults.chunk_size) p.chunk_size = given.chunk_size;
    if (given.attn_len != defaults.attn_len) p.attn_len = given.attn_len;
    if (given.begin_len != defaults.begin_len) p.begin_len = given.begin_len;
    if (given.n_sinks != defaults.n_sinks) p.n_sinks = given.n_sinks;
    if (given.prefill_mode != defaults.prefill_mode) p.prefill_mode = given.prefill_mode;
    if (given.kv_type != defaults.kv_type) p.kv_type = given.kv_type;
    if (given.chunk_score != defaults.chunk_score) p.chunk_score = given.chunk_score;
    if (given.local_chunks != defaults.local_chunks) p.local_chunks = given.local_chunks;
    if (given.allow_attn_len_over_trained != defaults.allow_attn_len_over_trained)
        p.allow_attn_len_over_trained = given.allow_attn_len_over_trained;
    lh_context *c = nullptr;
    const auto t0 = std::chrono::steady_clock::now();
    check(lh_context_load(model, args.load_context.c_str(), &p, &c), "cannot load context");
    if (args.verbose) {
        int32_t n_past = 0;
        lh_context_n_past(c, &n_past);
        std::fprintf(stderr, "longheads: loaded %d tokens from %s in %.1f ms\n", n_past, args.load_context.c_str(),
                     std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return ContextPtr(c);
}

void save_context_if_asked(lh_context *context, const Args &args) {
    if (args.save_context.empty()) return;
    check(lh_context_save(context, args.save_context.c_str()), "cannot save context");
    int32_t n_past = 0;
    check(lh_context_n_past(context, &n_past), "cannot read the context");
    if (args.verbose)
        std::fprintf(stderr, "longheads generate: saved %d tokens to %s\n", n_past, args.save_context.c_str());
}

}  // namespace cli
