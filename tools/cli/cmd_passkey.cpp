// passkey: the long-context retrieval evaluation of longheads.md (a number hidden in filler text).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "common.h"
#include "enum_names.h"
#include "flags.h"
#include "json.h"
#include "progress.h"

namespace cli {

namespace {

const char *kTask =
    "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you "
    "about the important information there.";
const char *kFiller = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
const char *kQuestion = "What is the pass key? The pass key is";

uint64_t splitmix64(uint64_t &state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::string repeat_filler(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        if (i) out += ' ';
        out += kFiller;
    }
    return out;
}

std::string passkey_prompt(int prefix_repeats, int suffix_repeats, int key) {
    std::string k = std::to_string(key);
    return std::string(kTask) + "\n" + repeat_filler(prefix_repeats) + "\nThe pass key is " + k + ". Remember it. " + k +
           " is the pass key.\n" + repeat_filler(suffix_repeats) + "\n" + kQuestion;
}

// Filler repeats that bring the prompt to about `length` tokens (tokens per repeat measured on a
// long run, so the joins are counted).
int filler_repeats(const lh_model *model, bool bos, int length) {
    int fixed = static_cast<int>(tokenize(model, passkey_prompt(0, 0, 12345), bos).size());
    int with_100 = static_cast<int>(tokenize(model, passkey_prompt(50, 50, 12345), bos).size());
    double per_repeat = (with_100 - fixed) / 100.0;
    return std::max(0, static_cast<int>(std::lround((length - fixed) / per_repeat)));
}

struct Trial {
    double depth;
    size_t tokens;
    std::string answer, expected;
    bool ok;
};

// One prompt with the key at `depth`: prefill, then the answer's tokens greedily.
Trial run_trial(lh_context *ctx, const lh_model *model, const Args &args, int key, double depth, int repeats,
                const std::string &label) {
    const bool bos = !args.no_bos;
    const int32_t n_vocab = model_info(model).n_vocab;
    int prefix = static_cast<int>(std::lround(depth * repeats));
    std::string prompt = passkey_prompt(prefix, repeats - prefix, key);
    std::vector<int32_t> ids = tokenize(model, prompt, bos);
    std::vector<int32_t> full = tokenize(model, prompt + " " + std::to_string(key), bos);
    if (full.size() <= ids.size() || !std::equal(ids.begin(), ids.end(), full.begin()))
        throw Failure("the answer does not tokenize as a continuation of the prompt");
    std::vector<int32_t> expected(full.begin() + static_cast<long>(ids.size()), full.end());
    const int32_t n_ctx = effective_params(ctx).n_ctx;
    if (static_cast<int64_t>(ids.size() + expected.size()) > n_ctx)
        throw Failure("prompt of " + std::to_string(ids.size()) + " tokens does not fit the context of " +
                      std::to_string(n_ctx) + " (use -c)");

    check(lh_context_reset(ctx), "cannot reset context");
    {
        Progress progress(label, ids.size(), args.progress);
        eval_in_slices(ctx, ids, progress);
    }
    std::vector<int32_t> answer;
    for (size_t i = 0; i < expected.size(); ++i) {
        const float *logits = nullptr;
        check(lh_context_logits(ctx, -1, &logits), "cannot read logits");
        int32_t t = static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);
        answer.push_back(t);
        if (i + 1 < expected.size()) check(lh_context_eval(ctx, &t, 1, 0), "evaluation failed");
    }
    return Trial{depth, ids.size(), detokenize(model, answer), detokenize(model, expected), answer == expected};
}

}  // namespace

void add_passkey_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_int_flag(cmd, "--length", args.length, 1, 1 << 24, "prompt length in tokens (required)")->default_str("");
    add_int_flag(cmd, "--trials", args.trials, 1, 100000, "prompts, each with its own key");
    cmd.add_option("--depth", args.depth, "where the key sits, 0 (start) to 1 (end); default: spread over the trials")
        ->check(CLI::Range(0.0, 1.0).description(""))
        ->type_name("D");
    add_seed_flag(cmd, args, "seed of the keys");
    cmd.add_flag("--no-bos", args.no_bos, "do not start with the BOS token");
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.footer("The context is made at least --length + 64 tokens large.");
}

int run_passkey(const Args &args) {
    if (args.length <= 0) throw Failure("--length is required (prompt length in tokens)");
    ModelPtr model = load_model(args);
    const int repeats = filler_repeats(model.get(), !args.no_bos, args.length);
    ContextPtr ctx = make_context(model.get(), args, args.length + 64);
    const uint64_t seed = resolve_seed(args);
    uint64_t rng = seed;
    int correct = 0;
    double total_tokens = 0;
    Json results = Json::array();
    for (int trial = 0; trial < args.trials; ++trial) {
        double depth = args.depth >= 0 ? args.depth : (trial + 0.5) / args.trials;
        int key = static_cast<int>(splitmix64(rng) % 50000) + 1;
        std::string label = "trial " + std::to_string(trial + 1) + "/" + std::to_string(args.trials) + " prefill";
        Trial t = run_trial(ctx.get(), model.get(), args, key, depth, repeats, label);
        correct += t.ok;
        total_tokens += static_cast<double>(t.tokens);
        results.push_back(Json{{"depth", t.depth}, {"tokens", t.tokens}, {"answer", t.answer},
                               {"expected", t.expected}, {"ok", t.ok}});
        if (!args.json)
            std::printf("trial %d: depth %.2f, %zu tokens, expected %s, got %s: %s\n", trial + 1, depth, t.tokens,
                        json_quoted(t.expected).c_str(), json_quoted(t.answer).c_str(), t.ok ? "ok" : "WRONG");
    }
    double accuracy = static_cast<double>(correct) / args.trials;
    const char *attention = name_of(kAttentionNames, effective_params(ctx.get()).attention);
    if (args.json) {
        print_json(Json{{"accuracy", accuracy}, {"trials", args.trials}, {"mean_tokens", total_tokens / args.trials},
                        {"seed", seed}, {"attention", attention}, {"results", results}});
    } else {
        std::printf("accuracy %.3f (%d/%d) at %.0f tokens, attention %s, seed %llu\n", accuracy, correct, args.trials,
                    total_tokens / args.trials, attention, (unsigned long long)seed);
    }
    return 0;
}

}  // namespace cli
