// passkey and perplexity: the long-context evaluations of longheads.md.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "common.h"
#include "json_out.h"

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

// Evaluates `ids` in slices so a progress line can be shown on a terminal.
void eval_with_progress(lh_context *ctx, const std::vector<int32_t> &ids, bool show, const char *label) {
    const size_t slice = 2048;
    for (size_t done = 0; done < ids.size(); done += slice) {
        size_t n = std::min(slice, ids.size() - done);
        check(lh_context_eval(ctx, ids.data() + done, n, 0), "evaluation failed");
        if (show) std::fprintf(stderr, "\r%s %zu/%zu tokens", label, done + n, ids.size());
    }
    if (show) std::fprintf(stderr, "\r%*s\r", 60, "");
}

int argmax(const float *v, int n) {
    return static_cast<int>(std::max_element(v, v + n) - v);
}

}  // namespace

int run_passkey(const Args &args) {
    if (args.length <= 0) throw Failure("passkey needs --length N (prompt length in tokens)");
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    bool bos = info.add_bos != 0;
    bool show = args.progress && isatty(2);

    // Tokens per filler repeat, measured on a long run so joins are counted.
    int fixed = static_cast<int>(tokenize(model.get(), passkey_prompt(0, 0, 12345), bos).size());
    int with_100 = static_cast<int>(tokenize(model.get(), passkey_prompt(50, 50, 12345), bos).size());
    double per_repeat = (with_100 - fixed) / 100.0;
    int repeats = std::max(0, static_cast<int>(std::lround((args.length - fixed) / per_repeat)));

    ContextPtr ctx = make_context(model.get(), args, args.length + 64);
    lh_context_params cp{};
    cp.struct_size = sizeof cp;
    check(lh_context_get_params(ctx.get(), &cp), "cannot read context params");

    uint64_t rng = args.seed;
    int correct = 0;
    double total_tokens = 0;
    std::string results;
    for (int trial = 0; trial < args.trials; ++trial) {
        double depth = args.depth >= 0 ? args.depth : (trial + 0.5) / args.trials;
        int key = static_cast<int>(splitmix64(rng) % 50000) + 1;
        int prefix = static_cast<int>(std::lround(depth * repeats));
        std::string prompt = passkey_prompt(prefix, repeats - prefix, key);
        std::vector<int32_t> ids = tokenize(model.get(), prompt, bos);
        std::vector<int32_t> full = tokenize(model.get(), prompt + " " + std::to_string(key), bos);
        if (full.size() <= ids.size() || !std::equal(ids.begin(), ids.end(), full.begin()))
            throw Failure("the answer does not tokenize as a continuation of the prompt");
        std::vector<int32_t> expected(full.begin() + static_cast<long>(ids.size()), full.end());
        if (static_cast<int64_t>(ids.size() + expected.size()) > cp.n_ctx)
            throw Failure("prompt of " + std::to_string(ids.size()) + " tokens does not fit the context of " +
                          std::to_string(cp.n_ctx) + " (use -c)");

        check(lh_context_reset(ctx.get()), "cannot reset context");
        eval_with_progress(ctx.get(), ids, show, ("trial " + std::to_string(trial + 1) + " prefill").c_str());
        std::vector<int32_t> answer;
        for (size_t i = 0; i < expected.size(); ++i) {
            const float *logits = nullptr;
            check(lh_context_logits(ctx.get(), -1, &logits), "cannot read logits");
            int32_t t = argmax(logits, info.n_vocab);
            answer.push_back(t);
            if (i + 1 < expected.size()) check(lh_context_eval(ctx.get(), &t, 1, 0), "evaluation failed");
        }
        bool ok = answer == expected;
        correct += ok;
        total_tokens += static_cast<double>(ids.size());
        std::string answer_text = detokenize(model.get(), answer);
        std::string expected_text = detokenize(model.get(), expected);
        if (!results.empty()) results += ", ";
        results += "{\"depth\": " + json_number(depth) + ", \"tokens\": " + std::to_string(ids.size()) +
                   ", \"answer\": " + json_string(answer_text) + ", \"expected\": " + json_string(expected_text) +
                   ", \"ok\": " + (ok ? "true" : "false") + "}";
        if (!args.json)
            std::printf("trial %d: depth %.2f, %zu tokens, expected %s, got %s: %s\n", trial + 1, depth, ids.size(),
                        json_string(expected_text).c_str(), json_string(answer_text).c_str(), ok ? "ok" : "WRONG");
    }
    double accuracy = static_cast<double>(correct) / args.trials;
    if (args.json) {
        std::printf("{\"accuracy\": %s, \"trials\": %d, \"mean_tokens\": %s, \"results\": [%s]}\n",
                    json_number(accuracy).c_str(), args.trials, json_number(total_tokens / args.trials).c_str(),
                    results.c_str());
    } else {
        std::printf("accuracy %.3f (%d/%d) at %.0f tokens, attention %s\n", accuracy, correct, args.trials,
                    total_tokens / args.trials, args.attention.c_str());
    }
    return 0;
}

// Scores K consecutive sequences of N tokens each (BOS + N - 1 tokens of the file, the context
// cleared between them, as llama-perplexity does), every position of each sequence scored.
int run_perplexity(const Args &args) {
    if (args.file.empty()) throw Failure("perplexity needs -f FILE");
    if (args.n_ctx <= 1) throw Failure("perplexity needs --ctx N (tokens to score, > 1)");
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    const bool bos = info.add_bos != 0 && info.bos_token >= 0;
    const std::vector<int32_t> text = tokenize(model.get(), read_file(args.file), false);
    const size_t n = static_cast<size_t>(args.n_ctx), per_seq = bos ? n - 1 : n;
    const size_t k = static_cast<size_t>(args.n_sequences);
    if (text.size() < per_seq * k)
        throw Failure("'" + args.file + "' has only " + std::to_string(text.size()) + " tokens, fewer than " +
                      std::to_string(k) + " sequences of " + std::to_string(per_seq) + " text tokens");
    ContextPtr ctx = make_context(model.get(), args, args.n_ctx);
    bool show = args.progress && isatty(2);

    // nll[s][i] = -log p(ids[i+1] | ids[0..i]) in sequence s; scored batch by batch to keep
    // logits memory small.
    std::vector<std::vector<double>> nll(k, std::vector<double>(n - 1));
    std::vector<int32_t> ids;
    for (size_t s = 0; s < k; ++s) {
        ids.clear();
        if (bos) ids.push_back(info.bos_token);
        ids.insert(ids.end(), text.begin() + static_cast<std::ptrdiff_t>(s * per_seq),
                   text.begin() + static_cast<std::ptrdiff_t>((s + 1) * per_seq));
        check(lh_context_reset(ctx.get()), "cannot reset the context");
        const size_t slice = 512;
        for (size_t start = 0; start < ids.size(); start += slice) {
            size_t m = std::min(slice, ids.size() - start);
            check(lh_context_eval(ctx.get(), ids.data() + start, m, 1), "evaluation failed");
            for (size_t j = 0; j < m; ++j) {
                size_t pos = start + j;
                if (pos + 1 >= ids.size()) break;
                const float *logits = nullptr;
                check(lh_context_logits(ctx.get(), static_cast<int32_t>(j), &logits), "cannot read logits");
                double mx = *std::max_element(logits, logits + info.n_vocab);
                double sum = 0;
                for (int v = 0; v < info.n_vocab; ++v) sum += std::exp(logits[v] - mx);
                nll[s][pos] = -(logits[ids[pos + 1]] - mx - std::log(sum));
            }
            if (show) std::fprintf(stderr, "\rperplexity sequence %zu/%zu: %zu/%zu tokens", s + 1, k, start + m, ids.size());
        }
    }
    if (show) std::fprintf(stderr, "\r%*s\r", 70, "");

    // Perplexity over prediction positions [begin, end) of every sequence.
    auto ppl_of = [&](size_t begin, size_t end) {
        double sum = 0;
        for (const std::vector<double> &seq : nll)
            for (size_t i = begin; i < end; ++i) sum += seq[i];
        return std::exp(sum / static_cast<double>((end - begin) * k));
    };
    const size_t n_pred = n - 1;
    double ppl = ppl_of(0, n_pred);
    // Windows of T predicted positions: [start, end) over prediction index (position of the context token).
    size_t window = static_cast<size_t>(info.n_ctx_train);
    std::string by_window;
    for (size_t start = 0; start < n_pred; start += window) {
        size_t end = std::min(n_pred, start + window);
        if (!by_window.empty()) by_window += ", ";
        by_window += "[" + std::to_string(start) + ", " + std::to_string(end) + ", " + json_number(ppl_of(start, end)) + "]";
        if (!args.json) std::printf("tokens %6zu..%6zu  ppl %.4f\n", start, end, ppl_of(start, end));
    }
    if (args.json) {
        std::printf("{\"ppl\": %s, \"tokens\": %zu, \"sequences\": %zu, \"attention\": %s, \"ppl_by_window\": [%s]}\n",
                    json_number(ppl).c_str(), n, k, json_string(args.attention).c_str(), by_window.c_str());
    } else {
        std::printf("perplexity %.4f over %zu sequence(s) of %zu tokens (attention %s)\n", ppl, k, n,
                    args.attention.c_str());
    }
    return 0;
}

}  // namespace cli
