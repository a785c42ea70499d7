// info and tokenize: what a model file holds, and how it cuts text into tokens.
#include <cstdio>
#include <map>

#include "commands.h"
#include "common.h"
#include "enum_names.h"
#include "flags.h"
#include "json.h"

namespace cli {

namespace {

std::map<std::string, int> tensor_type_counts(const lh_model *model) {
    int32_t n_tensors = 0;
    check(lh_model_tensor_count(model, &n_tensors), "cannot list tensors");
    std::map<std::string, int> types;
    for (int32_t i = 0; i < n_tensors; ++i) {
        lh_tensor_info t{};
        check(lh_model_tensor_get(model, i, &t), "cannot read tensor info");
        types[t.type_name]++;
    }
    return types;
}

Json info_json(const lh_model_info &info) {
    return Json{{"architecture", info.architecture}, {"name", info.name},
                {"context_length", info.n_ctx_train}, {"n_layer", info.n_layer},
                {"n_embd", info.n_embd},              {"n_head", info.n_head},
                {"n_head_kv", info.n_head_kv},        {"head_dim", info.head_dim},
                {"n_ff", info.n_ff},                  {"n_rot", info.n_rot},
                {"n_vocab", info.n_vocab},            {"rope_freq_base", shortest(info.rope_freq_base)},
                {"rms_norm_eps", shortest(info.rms_norm_eps)},  {"bos", info.bos_token},
                {"eos", info.eos_token},              {"n_params", info.n_params},
                {"file_bytes", info.file_bytes},      {"weight_bytes", info.weight_bytes},
                {"precision", name_of(kPrecisionNames, info.precision)}};
}

void print_info_text(const lh_model_info &info, const std::map<std::string, int> &types) {
    std::printf("architecture    %s\nname            %s\ncontext_length  %d\nn_layer         %d\n"
                "n_embd          %d\nn_head          %d\nn_head_kv       %d\nhead_dim        %d\n"
                "n_ff            %d\nn_rot           %d\nn_vocab         %d\nrope_freq_base  %g\n"
                "rms_norm_eps    %g\nbos / eos       %d / %d\nparameters      %llu\nweight bytes    %llu\n"
                "precision       %s\n",
                info.architecture, info.name, info.n_ctx_train, info.n_layer, info.n_embd, info.n_head,
                info.n_head_kv, info.head_dim, info.n_ff, info.n_rot, info.n_vocab, info.rope_freq_base,
                info.rms_norm_eps, info.bos_token, info.eos_token, (unsigned long long)info.n_params,
                (unsigned long long)info.weight_bytes, name_of(kPrecisionNames, info.precision));
    std::printf("tensor types   ");
    for (const auto &kv : types) std::printf(" %s x%d", kv.first.c_str(), kv.second);
    std::printf("\n");
}

}  // namespace

void add_info_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.footer("The KV cache size is given for -c tokens (default: the trained context) with the attention flags.");
}

int run_info(const Args &args) {
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    std::map<std::string, int> types = tensor_type_counts(model.get());
    lh_context_params cp = context_params(args);
    int64_t n_tokens = cp.n_ctx > 0 ? cp.n_ctx : info.n_ctx_train;
    uint64_t kv_bytes = 0;
    check(lh_context_estimate_kv_bytes(model.get(), &cp, n_tokens, &kv_bytes), "cannot estimate the KV cache");
    const char *attention = name_of(kAttentionNames, cp.attention);
    if (args.json) {
        Json out = info_json(info);
        out["tensor_types"] = types;
        out["attention"] = attention;
        out["kv_tokens"] = n_tokens;
        out["kv_bytes"] = kv_bytes;
        out["cpu_level"] = lh_cpu_level();
        print_json(out);
    } else {
        print_info_text(info, types);
        std::printf("KV cache        %llu bytes for %lld tokens (%s attention)\n", (unsigned long long)kv_bytes,
                    (long long)n_tokens, attention);
        std::printf("CPU kernels     %s\n", lh_cpu_level());
    }
    return 0;
}

void add_tokenize_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_prompt_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.add_flag("--parse-special", args.parse_special,
                 "texts of control tokens (\"<|eot_id|>\", \"<s>\") become their ids, as llama-tokenize does by default");
}

int run_tokenize(const Args &args) {
    ModelPtr model = load_vocab(args);  // like llama-tokenize: vocabulary-only files work too
    const std::string text = prompt_text(args);
    const int32_t bos = args.no_bos ? 0 : 1, special = args.parse_special ? 1 : 0;
    size_t n = 0;
    lh_status s = lh_tokenize(model.get(), text.data(), text.size(), bos, special, nullptr, 0, &n);
    if (s != LH_OK && s != LH_ERROR_BUFFER_TOO_SMALL) check(s, "cannot tokenize");
    std::vector<int32_t> ids(n);
    check(lh_tokenize(model.get(), text.data(), text.size(), bos, special, ids.data(), ids.size(), &n), "cannot tokenize");
    ids.resize(n);
    if (args.json) {
        print_json(Json{{"tokens", ids}});
        return 0;
    }
    for (int32_t id : ids) {
        char buf[256];
        size_t n = 0;
        lh_status s = lh_token_piece(model.get(), id, buf, sizeof buf, &n);
        std::string piece = s == LH_OK ? std::string(buf, n) : std::string("?");
        std::printf("%6d -> %s\n", id, json_quoted(piece).c_str());
    }
    return 0;
}

}  // namespace cli
