#include "common.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "progress.h"

namespace cli {

void check(lh_status status, const std::string &what) {
    if (status == LH_OK) return;
    std::string detail = lh_last_error();
    throw Failure(what + ": " + lh_status_string(status) + (detail.empty() ? "" : ": " + detail));
}

ModelPtr load_model(const Args &args) {
    if (args.model_path.empty()) throw Failure("--model is required (-m FILE)");
    lh_model_params p = model_params(args);
    lh_model *m = nullptr;
    check(lh_model_load(args.model_path.c_str(), &p, &m), "cannot load model");
    return ModelPtr(m);
}

ModelPtr load_vocab(const Args &args) {
    if (args.model_path.empty()) throw Failure("--model is required (-m FILE)");
    lh_model_params p = model_params(args);
    p.vocab_only = 1;
    lh_model *m = nullptr;
    check(lh_model_load(args.model_path.c_str(), &p, &m), "cannot load the vocabulary");
    return ModelPtr(m);
}

ContextPtr make_context(const lh_model *model, const Args &args, int32_t n_ctx_override) {
    lh_context_params p = context_params(args);
    if (n_ctx_override > 0 && p.n_ctx < n_ctx_override) p.n_ctx = n_ctx_override;
    lh_context *c = nullptr;
    check(lh_context_create(model, &p, &c), "cannot create context");
    return ContextPtr(c);
}

lh_context_params effective_params(const lh_context *context) {
    lh_context_params p{};
    p.struct_size = sizeof p;
    check(lh_context_get_params(context, &p), "cannot read the context's parameters");
    return p;
}

lh_model_info model_info(const lh_model *model) {
    lh_model_info info{};
    info.struct_size = sizeof info;
    check(lh_model_get_info(model, &info), "cannot read model info");
    return info;
}

std::vector<int32_t> tokenize(const lh_model *model, const std::string &text, bool add_bos) {
    size_t n = 0;
    lh_status s = lh_tokenize(model, text.data(), text.size(), add_bos ? 1 : 0, 0, nullptr, 0, &n);
    if (s != LH_OK && s != LH_ERROR_BUFFER_TOO_SMALL) check(s, "cannot tokenize");
    std::vector<int32_t> ids(n);
    check(lh_tokenize(model, text.data(), text.size(), add_bos ? 1 : 0, 0, ids.data(), ids.size(), &n), "cannot tokenize");
    ids.resize(n);
    return ids;
}

std::string detokenize(const lh_model *model, const std::vector<int32_t> &ids) {
    size_t n = 0;
    lh_status s = lh_detokenize(model, ids.data(), ids.size(), LH_DETOK_DEFAULT, nullptr, 0, &n);
    if (s != LH_OK && s != LH_ERROR_BUFFER_TOO_SMALL) check(s, "cannot detokenize");
    std::string text(n, '\0');
    check(lh_detokenize(model, ids.data(), ids.size(), LH_DETOK_DEFAULT, text.data(), text.size(), &n),
          "cannot detokenize");
    text.resize(n);
    return text;
}

void eval_in_slices(lh_context *context, const std::vector<int32_t> &ids, Progress &progress, size_t done_before) {
    const size_t slice = static_cast<size_t>(std::max(1, effective_params(context).n_batch));
    for (size_t done = 0; done < ids.size(); done += slice) {
        size_t n = std::min(slice, ids.size() - done);
        check(lh_context_eval(context, ids.data() + done, n, 0), "evaluation failed");
        progress.update(done_before + done + n);
    }
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure("cannot read '" + path + "'");
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

std::string chat_template_arg(const Args &args) {
    if (!args.chat_template_file.empty()) return read_file(args.chat_template_file);
    return args.chat_template;
}

std::string prompt_text(const Args &args) {
    if (args.prompt_set) return args.prompt;
    if (!args.file.empty()) return read_file(args.file);
    throw Failure("no prompt given (-p TEXT or -f FILE)");
}

}  // namespace cli
