// generate: continue a prompt, streaming the text to stdout; progress and timings on stderr.
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <memory>

#include "commands.h"
#include "common.h"
#include "context_files.h"
#include "enum_names.h"
#include "flags.h"
#include "json.h"
#include "progress.h"

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;
using GenerationPtr = std::unique_ptr<lh_generation, void (*)(lh_generation *)>;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Timings {
    double load_ms = 0, prompt_ms = 0, eval_ms = 0;
    size_t prompt_tokens = 0, generated = 0;
};

struct Result {
    std::vector<int32_t> tokens;
    std::string text;
    lh_stop_reason stop_reason = LH_STOP_NONE;
};

// The prompt is evaluated here, in slices of the batch size with a progress line, and the
// generation then starts on the filled context (the same batches, so the same numbers, as one
// call). A repetition penalty must also count the prompt's tokens, which the library's sampler
// only does when the generation evaluates the prompt itself: then it does, without progress.
// `tokens`: the prompt's tokens if the caller has them for this (empty) context, else null.
GenerationPtr start(lh_context *ctx, const lh_model *model, const Args &args, const std::string &prompt,
                    const std::vector<int32_t> *tokens, const lh_generate_params &gp, Timings &timings) {
    lh_generation *gen = nullptr;
    int32_t n_past = 0;  // a loaded context already holds tokens: no second BOS
    check(lh_context_n_past(ctx, &n_past), "cannot read the context");
    const std::vector<int32_t> ids =
        tokens && n_past == 0 ? *tokens : tokenize(model, prompt, !args.no_bos && n_past == 0);
    timings.prompt_tokens = ids.size();
    const int32_t n_ctx = effective_params(ctx).n_ctx;
    if (ids.size() > static_cast<size_t>(n_ctx - n_past))
        throw Failure("the prompt has " + std::to_string(ids.size()) + " tokens; the context holds " +
                      std::to_string(n_ctx) + (n_past ? " and has " + std::to_string(n_past) + " already" : "") +
                      " (raise -c)");
    auto t0 = Clock::now();
    if (gp.sampling->repeat_penalty != 1.0f || ids.empty()) {
        check(lh_generation_start(ctx, prompt.data(), prompt.size(), &gp, &gen), "cannot start generation");
    } else {
        Progress progress("prompt", ids.size(), args.progress);
        eval_in_slices(ctx, ids, progress);
        check(lh_generation_start(ctx, "", 0, &gp, &gen), "cannot start generation");
    }
    timings.prompt_ms = ms_since(t0);
    GenerationPtr owned(gen, lh_generation_free);
    save_context_if_asked(ctx, args);  // the prompt is in, nothing generated yet
    return owned;
}

// Pulls pieces until the generation ends; with `echo`, writes each to stdout as it comes.
Result pull(lh_generation *gen, bool echo, Timings &timings) {
    Result r;
    auto t0 = Clock::now();
    for (;;) {
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        check(lh_generation_next(gen, &piece, &len, &token, &done), "generation failed");
        if (token >= 0) r.tokens.push_back(token);
        r.text.append(piece, len);
        if (echo && len) {
            std::fwrite(piece, 1, len, stdout);
            std::fflush(stdout);
        }
        if (done) break;
    }
    timings.eval_ms = ms_since(t0);
    timings.generated = r.tokens.size();
    r.stop_reason = lh_generation_stop_reason(gen);
    return r;
}

double per_second(size_t n, double ms) { return ms > 0 ? 1000.0 * static_cast<double>(n) / ms : 0.0; }

// The timing summary, in llama.cpp's layout.
void print_perf(const Timings &t) {
    auto line = [](const char *what, double ms, size_t n) {
        std::fprintf(stderr, "longheads: %-16s = %10.2f ms / %5zu tokens (%8.2f ms per token, %8.2f tokens per second)\n",
                     what, ms, n, n ? ms / static_cast<double>(n) : 0.0, per_second(n, ms));
    };
    std::fprintf(stderr, "longheads: %-16s = %10.2f ms\n", "load time", t.load_ms);
    line("prompt eval time", t.prompt_ms, t.prompt_tokens);
    line("eval time", t.eval_ms, t.generated);
    std::fprintf(stderr, "longheads: %-16s = %10.2f ms / %5zu tokens\n", "total time",
                 t.load_ms + t.prompt_ms + t.eval_ms, t.prompt_tokens + t.generated);
}

Json timings_json(const Timings &t) {
    return Json{{"load_ms", t.load_ms},
                {"prompt_ms", t.prompt_ms},
                {"prompt_tokens_per_s", per_second(t.prompt_tokens, t.prompt_ms)},
                {"eval_ms", t.eval_ms},
                {"eval_tokens_per_s", per_second(t.generated, t.eval_ms)}};
}

void print_verbose(const lh_context *ctx, uint64_t seed, const Timings &t) {
    lh_context_params p = effective_params(ctx);
    std::fprintf(stderr, "longheads generate: seed = %llu\n", (unsigned long long)seed);
    std::fprintf(stderr, "longheads generate: n_ctx = %d, n_batch = %d, attention = %s, prompt = %zu tokens\n",
                 p.n_ctx, p.n_batch, name_of(kAttentionNames, p.attention), t.prompt_tokens);
}

// Without -c: room for the prompt's tokens and -n more, and at least the trained window.
int32_t default_n_ctx(const lh_model *model, const Args &args, size_t prompt_tokens) {
    const int64_t need = static_cast<int64_t>(prompt_tokens) + args.n_predict;
    return static_cast<int32_t>(std::min<int64_t>(std::max<int64_t>(need, model_info(model).n_ctx_train), kMaxTokens));
}

}  // namespace

void add_generate_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_prompt_flags(cmd, args);
    add_int_flag(cmd, "-n,--n-predict", args.n_predict, 0, 1 << 24, "tokens to generate at most");
    cmd.add_option("--stop", args.stop, "stop before this text (repeatable)")
        ->type_name("TEXT")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
    cmd.add_flag("--ignore-eos", args.ignore_eos, "go on after an end-of-generation token");
    add_sampling_flags(cmd, args);
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    add_context_file_flags(cmd, args);
    cmd.add_flag_function(
        "--no-perf", [&args](int64_t) { args.perf = false; }, "no timing summary on stderr");
    cmd.add_flag("-v,--verbose", args.verbose,
                 "print the seed, the context's parameters and a --load-context's time on stderr");
    cmd.footer("The text goes to stdout (the prompt first, unless --json). On stderr: a progress line while a long "
               "prompt is evaluated (on a terminal), and a timing summary at the end (--no-perf: none).");
}

int run_generate(const Args &args) {
    Timings timings;
    auto t0 = Clock::now();
    ModelPtr model = load_model(args);
    std::string prompt = args.load_context.empty() || args.prompt_set || !args.file.empty() ? prompt_text(args) : "";
    // A new context starts empty: the prompt is tokenized once, with BOS, for its size and its prefill.
    std::vector<int32_t> tokens;
    const bool fresh = args.load_context.empty();
    if (fresh) tokens = tokenize(model.get(), prompt, !args.no_bos);
    ContextPtr ctx = fresh && args.context.n_ctx == 0 ? make_context(model.get(), args, default_n_ctx(model.get(), args, tokens.size()))
                                                      : make_or_load_context(model.get(), args);
    timings.load_ms = ms_since(t0);

    lh_sampler_params sampling = args.sampling;
    sampling.seed = resolve_seed(args);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = args.n_predict;
    gp.sampling = &sampling;
    gp.add_bos = args.no_bos ? 0 : 1;
    gp.stop_at_eog = args.ignore_eos ? 0 : 1;
    std::vector<const char *> stops;
    for (const std::string &s : args.stop) stops.push_back(s.c_str());
    gp.stop = stops.data();
    gp.n_stop = stops.size();

    GenerationPtr gen = start(ctx.get(), model.get(), args, prompt, fresh ? &tokens : nullptr, gp, timings);
    if (!args.json) {  // after the prefill, whose progress line shares the terminal
        std::fwrite(prompt.data(), 1, prompt.size(), stdout);
        std::fflush(stdout);
    }
    if (args.verbose) print_verbose(ctx.get(), sampling.seed, timings);
    Result r = pull(gen.get(), !args.json, timings);
    if (args.json) {
        print_json(Json{{"tokens", r.tokens},
                        {"text", r.text},
                        {"stop_reason", name_of(kStopReasonNames, r.stop_reason)},
                        {"seed", sampling.seed},
                        {"prompt_tokens", timings.prompt_tokens},
                        {"timings", timings_json(timings)}});
    } else {
        std::printf("\n");
        std::fflush(stdout);
    }
    if (args.perf) print_perf(timings);
    return 0;
}

}  // namespace cli
