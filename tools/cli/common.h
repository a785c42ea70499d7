// Helpers shared by the subcommands: RAII owners of C handles and error reporting.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "longheads/longheads.h"

namespace cli {

// Thrown by check(); main() prints the message on stderr and exits 1.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws Failure("<what>: <status>: <last error>") unless status is LH_OK.
void check(lh_status status, const std::string &what);

struct ModelDeleter { void operator()(lh_model *m) const { lh_model_free(m); } };
struct ContextDeleter { void operator()(lh_context *c) const { lh_context_free(c); } };
struct SamplerDeleter { void operator()(lh_sampler *s) const { lh_sampler_free(s); } };
using ModelPtr = std::unique_ptr<lh_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<lh_context, ContextDeleter>;
using SamplerPtr = std::unique_ptr<lh_sampler, SamplerDeleter>;

ModelPtr load_model(const Args &args);
// The vocabulary only (lh_model_params.vocab_only): enough to tokenize, works on vocabulary-only files.
ModelPtr load_vocab(const Args &args);
// A context from the flags, at least n_ctx_override tokens large when that is > 0.
ContextPtr make_context(const lh_model *model, const Args &args, int32_t n_ctx_override = 0);
// The context's parameters with the defaults resolved.
lh_context_params effective_params(const lh_context *context);
lh_model_info model_info(const lh_model *model);
std::vector<int32_t> tokenize(const lh_model *model, const std::string &text, bool add_bos);
std::string detokenize(const lh_model *model, const std::vector<int32_t> &ids);
std::string read_file(const std::string &path);
// --chat-template's text or name, or the --chat-template-file's contents; "" = the model's own.
std::string chat_template_arg(const Args &args);

class Progress;
// Evaluates `ids` in slices of the context's batch size (the same batches as one call), showing
// `progress` between slices; done_before = tokens already counted by `progress`.
void eval_in_slices(lh_context *context, const std::vector<int32_t> &ids, Progress &progress, size_t done_before = 0);

// The prompt from -p, or the file from -f.
std::string prompt_text(const Args &args);

}  // namespace cli
