// C entry points: contexts (KV cache + attention configuration), evaluation and logits.
#include "api/api_internal.h"
#include "common/enum_names.h"

using namespace lh;
using namespace lh::api;

ContextOptions lh::api::to_options(const lh_context_params &p) {
    ContextOptions o;
    o.n_ctx = p.n_ctx;
    o.n_threads = p.n_threads;
    o.n_batch = p.n_batch;
    o.attention = checked_enum(p.attention, "attention");
    o.chunk_size = p.chunk_size;
    o.attn_len = p.attn_len;
    o.begin_len = p.begin_len;
    o.n_sinks = p.n_sinks;
    o.allow_attn_len_over_trained = p.allow_attn_len_over_trained != 0;
    o.prefill_mode = checked_enum(p.prefill_mode, "prefill_mode");
    o.kv_type = checked_enum(p.kv_type, "kv_type");
    o.memory_budget_bytes = p.memory_budget_bytes;
    o.chunk_score = checked_enum(p.chunk_score, "chunk_score");
    o.local_chunks = p.local_chunks;
    return o;
}

lh_context_params lh::api::from_options(const ContextOptions &o) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_ctx = o.n_ctx;
    p.n_threads = o.n_threads;
    p.n_batch = o.n_batch;
    p.attention = o.attention;
    p.chunk_size = o.chunk_size;
    p.attn_len = o.attn_len;
    p.begin_len = o.begin_len;
    p.n_sinks = o.n_sinks;
    p.allow_attn_len_over_trained = o.allow_attn_len_over_trained ? 1 : 0;
    p.prefill_mode = o.prefill_mode;
    p.kv_type = o.kv_type;
    p.memory_budget_bytes = o.memory_budget_bytes;
    p.chunk_score = o.chunk_score;
    p.local_chunks = o.local_chunks;
    return p;
}

namespace {

lh_context_params defaults() {
    lh_context_params p;
    lh_context_params_init(&p);
    return p;
}

}  // namespace

extern "C" {

LH_API void lh_context_params_init_sized(lh_context_params *params, size_t size) {
    lh_context_params p{};
    p.struct_size = sizeof p;
    p.attention = LH_ATTENTION_LONGHEADS;
    p.prefill_mode = LH_PREFILL_PER_TOKEN;
    p.kv_type = LH_KV_F32;
    p.chunk_score = LH_CHUNK_SCORE_BOUND_MID;
    init_struct(params, p, size);
}

LH_API lh_status lh_context_create(const lh_model *model, const lh_context_params *params, lh_context **out_context) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_context != nullptr, "out_context is NULL");
        require_arg(!model->model->vocab_only(),
                    "the model was loaded with vocab_only: it has no weights to evaluate (load it without vocab_only)");
        lh_context_params p = read_params(params, defaults(), "lh_context_params");
        auto handle = std::make_unique<lh_context>();
        handle->owner = model;
        handle->context = std::make_unique<Context>(*model->model, to_options(p));
        *out_context = handle.release();
    });
}

LH_API void lh_context_free(lh_context *context) { delete context; }

LH_API lh_status lh_context_get_params(const lh_context *context, lh_context_params *out_params) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_params != nullptr, "out_params is NULL");
        const lh_context_params p = from_options(context->context->options());
        write_struct(out_params, p, "lh_context_params");
    });
}

LH_API lh_status lh_context_estimate_kv_bytes(const lh_model *model, const lh_context_params *params,
                                              int64_t n_tokens, uint64_t *out_bytes) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_bytes != nullptr, "out_bytes is NULL");
        require_arg(n_tokens >= 0, "n_tokens must be >= 0");
        lh_context_params p = read_params(params, defaults(), "lh_context_params");
        *out_bytes = Context::estimate_kv_bytes(*model->model, to_options(p), n_tokens);
    });
}

LH_API lh_status lh_context_reset(lh_context *context) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        BusyGuard busy(context);
        context->take_over("lh_context_reset");
        context->context->reset();
    });
}

LH_API lh_status lh_context_n_past(const lh_context *context, int32_t *out_n_past) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_n_past != nullptr, "out_n_past is NULL");
        *out_n_past = context->context->n_past();
    });
}

LH_API lh_status lh_context_eval(lh_context *context, const int32_t *tokens, size_t n_tokens, int32_t all_logits) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(tokens != nullptr || n_tokens == 0, "tokens is NULL");
        require_arg(n_tokens > 0, "no tokens to evaluate");
        BusyGuard busy(context);
        context->cancel.store(false);
        context->take_over("lh_context_eval");
        context->context->eval(tokens, n_tokens, all_logits != 0, &context->cancel);
    });
}

LH_API lh_status lh_context_logits(const lh_context *context, int32_t index, const float **out_logits) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_logits != nullptr, "out_logits is NULL");
        *out_logits = context->context->logits(index);
    });
}

LH_API lh_status lh_context_copy_logits(const lh_context *context, int32_t index, float *dst, size_t capacity) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(dst != nullptr, "dst is NULL");
        const float *logits = context->context->logits(index);
        size_t n = static_cast<size_t>(context->context->model().vocab().size());
        if (capacity < n)
            fail(LH_ERROR_BUFFER_TOO_SMALL, "logits buffer of " + std::to_string(capacity) + " floats is too small: " +
                                                std::to_string(n) + " needed");
        std::memcpy(dst, logits, n * sizeof(float));
    });
}

LH_API void lh_context_cancel(lh_context *context) {
    if (context) context->cancel.store(true);
}

}  // extern "C"
