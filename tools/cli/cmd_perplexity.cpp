// perplexity: how well the model predicts a text, per trained-window slice of the positions (the
// long-context evaluation of longheads.md).
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

// -log p(ids[pos + 1] | ids[0..pos]) from the logits of position pos.
double nll_of(const float *logits, int32_t n_vocab, int32_t next) {
    double mx = *std::max_element(logits, logits + n_vocab);
    double sum = 0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(logits[v] - mx);
    return -(logits[next] - mx - std::log(sum));
}

// nll[i] for every position i < ids.size() - 1 of one sequence, scored batch by batch to keep
// the logits small.
void score_sequence(lh_context *ctx, const std::vector<int32_t> &ids, int32_t n_vocab, std::vector<double> &nll,
                    Progress &progress, size_t done_before) {
    check(lh_context_reset(ctx), "cannot reset the context");
    const size_t slice = 512;
    for (size_t start = 0; start < ids.size(); start += slice) {
        size_t m = std::min(slice, ids.size() - start);
        check(lh_context_eval(ctx, ids.data() + start, m, 1), "evaluation failed");
        for (size_t j = 0; j < m && start + j + 1 < ids.size(); ++j) {
            const float *logits = nullptr;
            check(lh_context_logits(ctx, static_cast<int32_t>(j), &logits), "cannot read logits");
            nll[start + j] = nll_of(logits, n_vocab, ids[start + j + 1]);
        }
        progress.update(done_before + start + m);
    }
}

// Perplexity over prediction positions [begin, end) of every sequence.
double perplexity(const std::vector<std::vector<double>> &nll, size_t begin, size_t end) {
    double sum = 0;
    for (const std::vector<double> &seq : nll)
        for (size_t i = begin; i < end; ++i) sum += seq[i];
    return std::exp(sum / static_cast<double>((end - begin) * nll.size()));
}

}  // namespace

void add_perplexity_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    cmd.add_option("-f,--file", args.file, "the text to score (required)")->type_name("FILE");
    add_int_flag(cmd, "--sequences", args.n_sequences, 1, 1 << 20, "consecutive sequences of --ctx tokens to score",
                 "K");
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.footer("Each sequence is BOS + --ctx - 1 tokens of the file, the context cleared between them, every "
               "position scored (as llama-perplexity does).");
}

int run_perplexity(const Args &args) {
    if (args.file.empty()) throw Failure("perplexity needs -f FILE");
    const int32_t n_ctx = args.context.n_ctx;
    if (n_ctx <= 1) throw Failure("perplexity needs --ctx N (tokens to score, > 1)");
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    const bool bos = info.add_bos != 0 && info.bos_token >= 0;
    const std::vector<int32_t> text = tokenize(model.get(), read_file(args.file), false);
    const size_t n = static_cast<size_t>(n_ctx), per_seq = bos ? n - 1 : n;
    const size_t k = static_cast<size_t>(args.n_sequences);
    if (text.size() < per_seq * k)
        throw Failure("'" + args.file + "' has only " + std::to_string(text.size()) + " tokens, fewer than " +
                      std::to_string(k) + " sequences of " + std::to_string(per_seq) + " text tokens");
    ContextPtr ctx = make_context(model.get(), args, n_ctx);

    std::vector<std::vector<double>> nll(k, std::vector<double>(n - 1));
    Progress progress("perplexity", n * k, args.progress);
    std::vector<int32_t> ids;
    for (size_t s = 0; s < k; ++s) {
        ids.assign(bos ? 1 : 0, info.bos_token);
        ids.insert(ids.end(), text.begin() + static_cast<std::ptrdiff_t>(s * per_seq),
                   text.begin() + static_cast<std::ptrdiff_t>((s + 1) * per_seq));
        progress.set_label("perplexity, sequence " + std::to_string(s + 1) + "/" + std::to_string(k));
        score_sequence(ctx.get(), ids, info.n_vocab, nll[s], progress, s * n);
    }
    progress.erase();

    const size_t n_pred = n - 1, window = static_cast<size_t>(info.n_ctx_train);
    const char *attention = name_of(kAttentionNames, args.context.attention);
    Json by_window = Json::array();
    for (size_t start = 0; start < n_pred; start += window) {
        size_t end = std::min(n_pred, start + window);
        double ppl = perplexity(nll, start, end);
        by_window.push_back(Json::array({start, end, ppl}));
        if (!args.json) std::printf("tokens %6zu..%6zu  ppl %.4f\n", start, end, ppl);
    }
    double ppl = perplexity(nll, 0, n_pred);
    if (args.json) {
        print_json(Json{{"ppl", ppl}, {"tokens", n}, {"sequences", k}, {"attention", attention},
                        {"ppl_by_window", by_window}});
    } else {
        std::printf("perplexity %.4f over %zu sequence(s) of %zu tokens (attention %s)\n", ppl, k, n, attention);
    }
    return 0;
}

}  // namespace cli
