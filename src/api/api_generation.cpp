// C entry points: the generation pull loop and the one-call lh_generate.
#include "api/api_compat.h"
#include "api/api_internal.h"
#include "generation/generation.h"

using namespace lh;
using namespace lh::api;

namespace lh::api {
SamplerOptions to_sampler_options(const lh_sampler_params &p);
}

struct lh_generation {
    lh_context *context = nullptr;
    uint64_t id = 0;  // matches context->live_generation while this generation holds the context
    std::unique_ptr<lh::Generation> generation;
    std::string piece;  // what the last lh_generation_next returned
    bool done = false;
};

namespace lh::api {

// Shared with lh_chat_send (api_chat.cpp).
GenerationOptions to_generation_options(const lh_generate_params *given) {
    lh_generate_params d;
    lh_generate_params_init(&d);
    lh_sampler_params v0_1_sampling;  // the sampler params a 0.1 struct embeds
    lh_generate_params p = is_v0_1(given) ? from_v0_1(given, v0_1_sampling) : read_params(given, d, "lh_generate_params");
    lh_sampler_params sd;
    lh_sampler_params_init(&sd);
    GenerationOptions o;
    o.max_tokens = p.max_tokens;
    o.sampling = to_sampler_options(read_params(p.sampling, sd, "lh_sampler_params"));
    require_arg(p.stop != nullptr || p.n_stop == 0, "stop is NULL but n_stop is not 0");
    require_arg(p.n_stop <= 64, "at most 64 stop strings");
    for (size_t i = 0; i < p.n_stop; ++i) {
        require_arg(p.stop[i] != nullptr, "a stop string is NULL");
        o.stop.emplace_back(p.stop[i]);
    }
    o.add_bos = p.add_bos != 0;
    o.stop_at_eog = p.stop_at_eog != 0;
    return o;
}

}  // namespace lh::api

extern "C" {

LH_API void lh_generate_params_init_sized(lh_generate_params *params, size_t size) {
    lh_generate_params p{};
    p.struct_size = sizeof p;
    p.max_tokens = 128;
    p.sampling = nullptr;
    p.stop = nullptr;
    p.n_stop = 0;
    p.add_bos = 1;
    p.stop_at_eog = 1;
    init_struct(params, p, size);
}

LH_API lh_status lh_generation_start(lh_context *context, const char *prompt, size_t prompt_len,
                                     const lh_generate_params *params, lh_generation **out_generation) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(prompt != nullptr || prompt_len == 0, "prompt is NULL");
        require_arg(out_generation != nullptr, "out_generation is NULL");
        GenerationOptions options = to_generation_options(params);
        BusyGuard busy(context);
        context->cancel.store(false);
        context->take_over("lh_generation_start");
        auto handle = std::make_unique<lh_generation>();
        handle->context = context;
        handle->generation = std::make_unique<Generation>(*context->context, std::string_view(prompt ? prompt : "", prompt_len),
                                                          options, &context->cancel);
        handle->id = ++context->last_generation;
        context->live_generation = handle->id;
        *out_generation = handle.release();
    });
}

namespace {

// One lh_generation_next step on a generation that has not ended yet.
void step(lh_generation &g, int32_t &token) {
    lh_context &ctx = *g.context;
    BusyGuard busy(&ctx);
    if (ctx.live_generation != g.id) {
        fail(LH_ERROR_INVALID_ARGUMENT, std::string("this generation can no longer continue: ") + ctx.taken_over_by +
                                            " changed its context since; start a new generation");
    }
    bool more = g.generation->next(g.piece, token);
    if (!more) {
        g.done = true;
        ctx.live_generation = 0;
        if (g.generation->stop_reason() == LH_STOP_CANCELLED) ctx.cancel.store(false);  // the cancel is spent
    }
}

}  // namespace

LH_API lh_status lh_generation_next(lh_generation *generation, const char **out_piece, size_t *out_len,
                                    int32_t *out_token, int32_t *out_done) {
    return guarded([&] {
        require_arg(generation != nullptr, "generation is NULL");
        require_arg(out_piece && out_len && out_token && out_done, "an out-pointer is NULL");
        int32_t token = -1;
        generation->piece.clear();
        if (!generation->done) step(*generation, token);
        *out_piece = generation->piece.c_str();
        *out_len = generation->piece.size();
        *out_token = token;
        *out_done = generation->done ? 1 : 0;
    });
}

LH_API lh_stop_reason lh_generation_stop_reason(const lh_generation *generation) {
    return generation ? generation->generation->stop_reason() : LH_STOP_NONE;
}

LH_API void lh_generation_free(lh_generation *generation) {
    if (generation && generation->context->live_generation == generation->id) generation->context->live_generation = 0;
    delete generation;
}

LH_API lh_status lh_generate(lh_context *context, const char *prompt, size_t prompt_len,
                             const lh_generate_params *params, lh_piece_callback callback, void *user_data,
                             char *buf, size_t capacity, size_t *out_len) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(prompt != nullptr || prompt_len == 0, "prompt is NULL");
        require_arg(buf != nullptr || capacity == 0, "buf is NULL but capacity is not 0");
        GenerationOptions options = to_generation_options(params);
        BusyGuard busy(context);
        context->cancel.store(false);
        context->take_over("lh_generate");
        Generation gen(*context->context, std::string_view(prompt ? prompt : "", prompt_len), options, &context->cancel);
        std::string text, piece;
        int32_t token = -1;
        bool more = true, stopped_by_callback = false;
        while (more) {
            more = gen.next(piece, token);
            if (piece.empty()) continue;
            text += piece;
            if (callback && callback(piece.data(), piece.size(), token, user_data) != 0) {
                gen.end(LH_STOP_CANCELLED);  // the caller asked to stop: not an error
                stopped_by_callback = true;
                break;
            }
        }
        const bool cancelled = gen.stop_reason() == LH_STOP_CANCELLED && !stopped_by_callback;
        if (cancelled) context->cancel.store(false);
        if (out_len) *out_len = text.size();
        if (capacity > 0) {
            size_t n = std::min(text.size(), capacity - 1);
            std::memcpy(buf, text.data(), n);
            buf[n] = '\0';
        }
        if (cancelled) {
            fail(LH_ERROR_CANCELLED, "generation cancelled after " + std::to_string(gen.tokens().size()) +
                                         " tokens; buf holds the text generated until then");
        }
        if (capacity > 0 && text.size() + 1 > capacity)
            fail(LH_ERROR_BUFFER_TOO_SMALL, "output buffer of " + std::to_string(capacity) + " bytes is too small: " +
                                                std::to_string(text.size() + 1) + " needed (the text was truncated)");
    });
}

}  // extern "C"
