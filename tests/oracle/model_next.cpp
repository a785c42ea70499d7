// This library's side of the live model comparisons (test_models_oracle.py), through the C API:
//   model_next MODEL.gguf IN.json OUT.json [full|longheads] [n_ctx] [f32|bf16]
// IN: {"prompts": [[ids], ...], "greedy": N}; OUT: [{"probs": [...], "greedy": [...]}, ...]: the
// softmax of the logits after each prompt (evaluated in one call, f32 KV cache, weights in the
// precision named, f32 by default), then
// N greedy tokens evaluated one at a time (the first is the argmax after the prompt).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "json_mini.h"
#include "longheads/longheads.h"

namespace {

bool ok(lh_status s, const char *what) {
    if (s == LH_OK) return true;
    std::fprintf(stderr, "model_next: %s: %s (%s)\n", what, lh_status_string(s), lh_last_error());
    return false;
}

int32_t argmax(const float *x, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: model_next MODEL.gguf IN.json OUT.json [full|longheads] [n_ctx] [f32|bf16]\n");
        return 2;
    }
    const std::string mode = argc > 4 ? argv[4] : "full";
    const int32_t n_ctx = argc > 5 ? std::stoi(argv[5]) : 0;
    const json_mini::Value in = json_mini::parse_file(argv[2]);
    const int greedy = in.has("greedy") ? static_cast<int>(in["greedy"].num()) : 0;

    lh_model_params mp;
    lh_model_params_init(&mp);
    if (argc > 6 && !ok(lh_precision_from_name(argv[6], &mp.precision), "precision")) return 2;
    lh_model *model = nullptr;
    if (!ok(lh_model_load(argv[1], &mp, &model), "load")) return 1;
    lh_model_info info;
    info.struct_size = sizeof info;
    if (!ok(lh_model_get_info(model, &info), "info")) return 1;
    const int32_t n_vocab = info.n_vocab;

    std::ofstream out(argv[3]);
    out << "[";
    for (size_t pi = 0; pi < in["prompts"].array.size(); ++pi) {
        std::vector<int32_t> prompt;
        for (const auto &v : in["prompts"][pi].array) prompt.push_back(static_cast<int32_t>(v.num()));
        lh_context_params cp;
        lh_context_params_init(&cp);
        cp.n_threads = 1;
        cp.n_ctx = n_ctx;
        cp.n_batch = 512;
        cp.attention = mode == "longheads" ? LH_ATTENTION_LONGHEADS : LH_ATTENTION_FULL;
        lh_context *ctx = nullptr;
        if (!ok(lh_context_create(model, &cp, &ctx), "context")) return 1;
        if (!ok(lh_context_eval(ctx, prompt.data(), prompt.size(), 0), "eval prompt")) return 1;
        const float *logits = nullptr;
        if (!ok(lh_context_logits(ctx, -1, &logits), "logits")) return 1;
        double mx = logits[0], sum = 0;
        for (int32_t i = 0; i < n_vocab; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
        std::vector<double> p(static_cast<size_t>(n_vocab));
        for (int32_t i = 0; i < n_vocab; ++i) sum += p[i] = std::exp(logits[i] - mx);
        out << (pi ? ",{" : "{") << "\"probs\":[";
        for (int32_t i = 0; i < n_vocab; ++i) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "", p[i] / sum);
            out << buf;
        }
        out << "],\"greedy\":[";
        int32_t tok = argmax(logits, n_vocab);
        for (int g = 0; g < greedy; ++g) {
            out << (g ? "," : "") << tok;
            if (g + 1 == greedy) break;
            if (!ok(lh_context_eval(ctx, &tok, 1, 0), "eval token")) return 1;
            if (!ok(lh_context_logits(ctx, -1, &logits), "logits")) return 1;
            for (int32_t i = 0; i < n_vocab; ++i)
                if (!std::isfinite(logits[i])) {
                    std::fprintf(stderr, "model_next: non-finite logit\n");
                    return 1;
                }
            tok = argmax(logits, n_vocab);
        }
        out << "]}";
        lh_context_free(ctx);
    }
    out << "]\n";
    lh_model_free(model);
    return out.good() ? 0 : 1;
}
