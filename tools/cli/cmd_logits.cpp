// logits: the model's output after a prompt, for comparisons with other implementations.
#include "commands.h"
#include "common.h"
#include "flags.h"
#include "json.h"

namespace cli {

namespace {

std::vector<int32_t> prompt_tokens(const lh_model *model, const Args &args) {
    if (!args.tokens_file.empty()) return parse_token_ids(read_file(args.tokens_file), args.tokens_file);
    return tokenize(model, prompt_text(args), !args.no_bos);
}

}  // namespace

void add_logits_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_prompt_flags(cmd, args);
    cmd.add_option("--tokens-file", args.tokens_file, "the prompt as a JSON array of token ids")->type_name("FILE");
    cmd.add_flag("--all", args.all_logits, "the logits of every position, not only the last");
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.footer("Output is always JSON: {\"tokens\": [...], \"logits\": [...]} (one row per position with --all).");
}

int run_logits(const Args &args) {
    ModelPtr model = load_model(args);
    std::vector<int32_t> ids = prompt_tokens(model.get(), args);
    if (ids.empty()) throw Failure("the prompt has no tokens");
    ContextPtr ctx = make_context(model.get(), args, static_cast<int32_t>(ids.size()));
    check(lh_context_eval(ctx.get(), ids.data(), ids.size(), args.all_logits ? 1 : 0), "evaluation failed");
    const size_t n_vocab = static_cast<size_t>(model_info(model.get()).n_vocab);
    auto row = [&](int32_t index) {
        const float *logits = nullptr;
        check(lh_context_logits(ctx.get(), index, &logits), "cannot read logits");
        return JsonF32(std::vector<float>(logits, logits + n_vocab));
    };
    JsonF32 out = {{"tokens", ids}};
    if (args.all_logits) {
        JsonF32 rows = JsonF32::array();
        for (size_t i = 0; i < ids.size(); ++i) rows.push_back(row(static_cast<int32_t>(i)));
        out["logits"] = std::move(rows);
    } else {
        out["logits"] = row(-1);
    }
    print_json(out);
    return 0;
}

}  // namespace cli
