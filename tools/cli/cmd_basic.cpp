// info, tokenize, logits, generate.
#include <cstdio>
#include <map>

#include "commands.h"
#include "common.h"
#include "json_out.h"

namespace cli {

namespace {

const char *attention_name(lh_attention a) {
    switch (a) {
        case LH_ATTENTION_FULL: return "full";
        case LH_ATTENTION_WINDOW: return "window";
        case LH_ATTENTION_LONGHEADS: return "longheads";
    }
    return "?";
}

std::vector<int32_t> prompt_tokens(const lh_model *model, const Args &args) {
    if (!args.tokens_file.empty()) {
        std::vector<int32_t> ids;
        if (!parse_int_array(read_file(args.tokens_file), ids))
            throw Failure("'" + args.tokens_file + "' is not a JSON array of token ids");
        return ids;
    }
    return tokenize(model, prompt_text(args), !args.no_bos && model_info(model).add_bos);
}

}  // namespace

int run_info(const Args &args) {
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    int32_t n_tensors = 0;
    check(lh_model_tensor_count(model.get(), &n_tensors), "cannot list tensors");
    std::map<std::string, int> types;
    for (int32_t i = 0; i < n_tensors; ++i) {
        lh_tensor_info t{};
        check(lh_model_tensor_get(model.get(), i, &t), "cannot read tensor info");
        types[t.type_name]++;
    }
    lh_context_params cp;
    std::string error;
    if (!make_context_params(args, cp, error)) throw Failure(error);
    int64_t n_tokens = args.n_ctx > 0 ? args.n_ctx : info.n_ctx_train;
    uint64_t kv_bytes = 0;
    check(lh_context_estimate_kv_bytes(model.get(), &cp, n_tokens, &kv_bytes), "cannot estimate the KV cache");
    if (args.json) {
        std::string tt = "{";
        bool first = true;
        for (const auto &kv : types) {
            tt += (first ? "" : ", ") + json_string(kv.first) + ": " + std::to_string(kv.second);
            first = false;
        }
        tt += "}";
        std::printf(
            "{\"architecture\": %s, \"name\": %s, \"context_length\": %d, \"n_layer\": %d, \"n_embd\": %d, "
            "\"n_head\": %d, \"n_head_kv\": %d, \"head_dim\": %d, \"n_ff\": %d, \"n_rot\": %d, \"n_vocab\": %d, "
            "\"rope_freq_base\": %s, \"rms_norm_eps\": %s, \"bos\": %d, \"eos\": %d, \"n_params\": %llu, "
            "\"file_bytes\": %llu, \"weight_bytes\": %llu, \"tensor_types\": %s, \"attention\": %s, "
            "\"kv_tokens\": %lld, \"kv_bytes\": %llu}\n",
            json_string(info.architecture).c_str(), json_string(info.name).c_str(), info.n_ctx_train, info.n_layer,
            info.n_embd, info.n_head, info.n_head_kv, info.head_dim, info.n_ff, info.n_rot, info.n_vocab,
            json_number(info.rope_freq_base).c_str(), json_number(info.rms_norm_eps).c_str(), info.bos_token,
            info.eos_token, (unsigned long long)info.n_params, (unsigned long long)info.file_bytes,
            (unsigned long long)info.weight_bytes, tt.c_str(), json_string(attention_name(cp.attention)).c_str(),
            (long long)n_tokens, (unsigned long long)kv_bytes);
    } else {
        std::printf("architecture    %s\nname            %s\ncontext_length  %d\nn_layer         %d\n"
                    "n_embd          %d\nn_head          %d\nn_head_kv       %d\nhead_dim        %d\n"
                    "n_ff            %d\nn_rot           %d\nn_vocab         %d\nrope_freq_base  %g\n"
                    "rms_norm_eps    %g\nbos / eos       %d / %d\nparameters      %llu\nweight bytes    %llu\n",
                    info.architecture, info.name, info.n_ctx_train, info.n_layer, info.n_embd, info.n_head,
                    info.n_head_kv, info.head_dim, info.n_ff, info.n_rot, info.n_vocab, info.rope_freq_base,
                    info.rms_norm_eps, info.bos_token, info.eos_token, (unsigned long long)info.n_params,
                    (unsigned long long)info.weight_bytes);
        std::printf("tensor types   ");
        for (const auto &kv : types) std::printf(" %s x%d", kv.first.c_str(), kv.second);
        std::printf("\nKV cache        %llu bytes for %lld tokens (%s attention)\n", (unsigned long long)kv_bytes,
                    (long long)n_tokens, attention_name(cp.attention));
    }
    return 0;
}

int run_tokenize(const Args &args) {
    ModelPtr model = load_model(args);
    std::vector<int32_t> ids = tokenize(model.get(), prompt_text(args), !args.no_bos && model_info(model.get()).add_bos);
    if (args.json) {
        std::printf("{\"tokens\": %s}\n", json_ints(ids).c_str());
    } else {
        for (int32_t id : ids) {
            char buf[256];
            size_t n = 0;
            lh_status s = lh_token_piece(model.get(), id, buf, sizeof buf, &n);
            std::string piece = s == LH_OK ? std::string(buf, n) : std::string("?");
            std::printf("%6d -> %s\n", id, json_string(piece).c_str());
        }
    }
    return 0;
}

int run_logits(const Args &args) {
    ModelPtr model = load_model(args);
    std::vector<int32_t> ids = prompt_tokens(model.get(), args);
    if (ids.empty()) throw Failure("the prompt has no tokens");
    ContextPtr ctx = make_context(model.get(), args, static_cast<int32_t>(ids.size()));
    check(lh_context_eval(ctx.get(), ids.data(), ids.size(), args.all_logits ? 1 : 0), "evaluation failed");
    lh_model_info info = model_info(model.get());
    auto row = [&](int32_t index) {
        const float *logits = nullptr;
        check(lh_context_logits(ctx.get(), index, &logits), "cannot read logits");
        return json_floats(logits, static_cast<size_t>(info.n_vocab));
    };
    if (args.all_logits) {
        std::printf("{\"tokens\": %s, \"logits\": [", json_ints(ids).c_str());
        for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%s", i ? ", " : "", row(static_cast<int32_t>(i)).c_str());
        std::printf("]}\n");
    } else {
        std::printf("{\"tokens\": %s, \"logits\": %s}\n", json_ints(ids).c_str(), row(-1).c_str());
    }
    return 0;
}

int run_generate(const Args &args) {
    ModelPtr model = load_model(args);
    std::string prompt = prompt_text(args);
    ContextPtr ctx = make_context(model.get(), args);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = args.n_predict;
    make_sampler_params(args, gp.sampling);
    gp.add_bos = args.no_bos ? 0 : 1;
    gp.stop_at_eog = args.ignore_eos ? 0 : 1;
    std::vector<const char *> stops;
    for (const std::string &s : args.stop) stops.push_back(s.c_str());
    gp.stop = stops.data();
    gp.n_stop = stops.size();

    lh_generation *gen = nullptr;
    check(lh_generation_start(ctx.get(), prompt.data(), prompt.size(), &gp, &gen), "cannot start generation");
    std::unique_ptr<lh_generation, void (*)(lh_generation *)> owner(gen, lh_generation_free);
    std::vector<int32_t> tokens;
    std::string text;
    if (!args.json) {
        std::fputs(prompt.c_str(), stdout);
        std::fflush(stdout);
    }
    for (;;) {
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        check(lh_generation_next(gen, &piece, &len, &token, &done), "generation failed");
        if (token >= 0) tokens.push_back(token);
        text.append(piece, len);
        if (!args.json && len) {
            std::fwrite(piece, 1, len, stdout);
            std::fflush(stdout);
        }
        if (done) break;
    }
    if (args.json) std::printf("{\"tokens\": %s, \"text\": %s}\n", json_ints(tokens).c_str(), json_string(text).c_str());
    else std::printf("\n");
    return 0;
}

}  // namespace cli
