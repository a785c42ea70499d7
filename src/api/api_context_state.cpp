// C entry points for reading once and asking many times: token history, prefix reuse,
// truncation, forks, saved contexts.
#include "api/api_internal.h"

using namespace lh;
using namespace lh::api;

extern "C" {

LH_API lh_status lh_context_tokens(const lh_context *context, int32_t *tokens, size_t capacity, size_t *out_n) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_n != nullptr, "out_n is NULL");
        require_arg(tokens != nullptr || capacity == 0, "tokens is NULL but capacity is not 0");
        const std::vector<int32_t> &held = context->context->tokens();
        *out_n = held.size();
        if (capacity < held.size())
            fail(LH_ERROR_BUFFER_TOO_SMALL, "token buffer of " + std::to_string(capacity) + " ids is too small: " +
                                                std::to_string(held.size()) + " needed");
        if (!held.empty()) std::memcpy(tokens, held.data(), held.size() * sizeof(int32_t));
    });
}

LH_API lh_status lh_context_eval_reuse(lh_context *context, const int32_t *tokens, size_t n_tokens,
                                       int32_t *out_n_reused) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(tokens != nullptr || n_tokens == 0, "tokens is NULL");
        require_arg(n_tokens > 0, "no tokens to evaluate");
        BusyGuard busy(context);
        context->cancel.store(false);
        context->take_over("lh_context_eval_reuse");
        const int32_t reused = context->context->eval_reuse(tokens, n_tokens, &context->cancel);
        if (out_n_reused) *out_n_reused = reused;
    });
}

LH_API lh_status lh_context_truncate(lh_context *context, int32_t n_keep) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        BusyGuard busy(context);
        context->cancel.store(false);
        context->take_over("lh_context_truncate");
        context->context->truncate(n_keep, &context->cancel);
    });
}

LH_API lh_status lh_context_fork(lh_context *context, lh_context **out_context) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_context != nullptr, "out_context is NULL");
        BusyGuard busy(context);
        auto handle = std::make_unique<lh_context>();
        handle->owner = context->owner;
        handle->context = context->context->fork();
        *out_context = handle.release();
    });
}

LH_API lh_status lh_context_save(lh_context *context, const char *path) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(path != nullptr && *path != '\0', "path is NULL or empty");
        BusyGuard busy(context);
        context->context->save(path);
    });
}

LH_API lh_status lh_context_load(const lh_model *model, const char *path, const lh_context_params *params,
                                 lh_context **out_context) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(path != nullptr && *path != '\0', "path is NULL or empty");
        require_arg(out_context != nullptr, "out_context is NULL");
        require_arg(!model->model->vocab_only(),
                    "the model was loaded with vocab_only: it has no weights to evaluate (load it without vocab_only)");
        auto handle = std::make_unique<lh_context>();
        handle->owner = model;
        if (params) {
            lh_context_params defaults;
            lh_context_params_init(&defaults);
            const ContextOptions opts = to_options(read_params(params, defaults, "lh_context_params"));
            handle->context = Context::load(*model->model, path, &opts);
        } else {
            handle->context = Context::load(*model->model, path, nullptr);
        }
        *out_context = handle.release();
    });
}

LH_API lh_status lh_context_file_params(const char *path, lh_context_params *out_params) {
    return guarded([&] {
        require_arg(path != nullptr && *path != '\0', "path is NULL or empty");
        require_arg(out_params != nullptr, "out_params is NULL");
        const lh_context_params p = from_options(Context::saved_options(path));
        write_struct(out_params, p, "lh_context_params");
    });
}

}  // extern "C"
