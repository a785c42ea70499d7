// C entry points: chat templates (formatting a conversation into the model's prompt text).
#include "api/api_internal.h"
#include "chat/chat_session.h"
#include "chat/chat_template.h"
#include "gguf/gguf_file.h"

using namespace lh;
using namespace lh::api;

struct lh_chat {
    lh_context *context = nullptr;
    std::unique_ptr<lh::ChatSession> session;
    std::string piece;  // what the last lh_chat_next returned
    // The chat holds the context (lh_context::live_generation) from its first send on; a call
    // that changes the context's tokens takes it over (see api_internal.h).
    uint64_t id = 0;
    bool replying = false;
};

namespace lh::api {

GenerationOptions to_generation_options(const lh_generate_params *given);

// The template text or name to use: the caller's, else the model's tokenizer.chat_template.
std::string chat_template_source(const lh_model *model, const char *tmpl) {
    if (tmpl) return tmpl;
    const GgufValue *v = model->model->file().find("tokenizer.chat_template");
    if (!v || v->type() != GgufType::STRING)
        fail(LH_ERROR_INVALID_ARGUMENT, "the model has no tokenizer.chat_template; pass a template or one of the names: " +
                                            chat_family_names());
    return std::string(v->string());
}

ChatSpecialTexts chat_special_texts(const lh_model *model) {
    const Vocab &vocab = model->model->vocab();
    ChatSpecialTexts sp;
    if (vocab.bos() >= 0) sp.bos = vocab.token_text(vocab.bos());
    if (vocab.eos() >= 0) sp.eos = vocab.token_text(vocab.eos());
    return sp;
}

std::vector<ChatMessage> chat_messages(const lh_chat_message *messages, size_t n) {
    require_arg(messages != nullptr || n == 0, "messages is NULL");
    std::vector<ChatMessage> out(n);
    for (size_t i = 0; i < n; ++i) {
        if (!messages[i].role || !messages[i].content)
            fail(LH_ERROR_INVALID_ARGUMENT, "message " + std::to_string(i) + " has a NULL role or content");
        out[i] = {messages[i].role, messages[i].content};
    }
    return out;
}

}  // namespace lh::api

extern "C" {

LH_API lh_status lh_chat_format(const lh_model *model, const char *tmpl, const lh_chat_message *messages,
                                size_t n_messages, lh_bool add_assistant, char *buf, size_t capacity,
                                size_t *out_len) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_len != nullptr, "out_len is NULL");
        require_arg(buf != nullptr || capacity == 0, "buf is NULL but capacity is not 0");
        std::vector<ChatMessage> msgs = chat_messages(messages, n_messages);
        ChatTemplate t = select_chat_template(chat_template_source(model, tmpl));
        copy_out(format_chat(t, msgs, add_assistant != 0, chat_special_texts(model)), buf, capacity, out_len, true);
    });
}

LH_API lh_status lh_chat_template_family(const lh_model *model, const char *tmpl, const char **out_name) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_name != nullptr, "out_name is NULL");
        *out_name = chat_family_name(select_chat_template(chat_template_source(model, tmpl)).family);
    });
}

LH_API lh_status lh_chat_create(lh_context *context, const char *tmpl, const char *system, lh_chat **out_chat) {
    return guarded([&] {
        require_arg(context != nullptr, "context is NULL");
        require_arg(out_chat != nullptr, "out_chat is NULL");
        const lh_model *model = context->owner;
        ChatTemplate t = select_chat_template(chat_template_source(model, tmpl));
        auto handle = std::make_unique<lh_chat>();
        handle->context = context;
        handle->session =
            std::make_unique<ChatSession>(*context->context, t, chat_special_texts(model), system ? system : "");
        *out_chat = handle.release();
    });
}

LH_API void lh_chat_free(lh_chat *chat) {
    if (chat && chat->id != 0 && chat->context->live_generation == chat->id) chat->context->live_generation = 0;
    delete chat;
}

LH_API lh_status lh_chat_send(lh_chat *chat, const char *user_text, const lh_generate_params *params) {
    return guarded([&] {
        require_arg(chat != nullptr, "chat is NULL");
        require_arg(user_text != nullptr, "user_text is NULL");
        GenerationOptions options = to_generation_options(params);
        lh_context &ctx = *chat->context;
        BusyGuard busy(&ctx);
        ctx.cancel.store(false);
        if (chat->id != 0 && ctx.live_generation != chat->id) chat->session->context_lost();
        ctx.take_over("lh_chat_send");
        chat->id = ++ctx.last_generation;
        ctx.live_generation = chat->id;
        chat->replying = false;
        chat->session->send(user_text, options, &ctx.cancel);
        chat->replying = true;
    });
}

LH_API lh_status lh_chat_next(lh_chat *chat, const char **out_piece, size_t *out_len, int32_t *out_token,
                              int32_t *out_done) {
    return guarded([&] {
        require_arg(chat != nullptr, "chat is NULL");
        require_arg(out_piece && out_len && out_token && out_done, "an out-pointer is NULL");
        lh_context &ctx = *chat->context;
        BusyGuard busy(&ctx);
        int32_t token = -1;
        chat->piece.clear();
        if (chat->replying && ctx.live_generation != chat->id) {
            chat->replying = false;
            chat->session->context_lost();
            fail(LH_ERROR_INVALID_ARGUMENT, std::string("this reply can no longer continue: ") + ctx.taken_over_by +
                                                " changed the chat's context; the next lh_chat_send evaluates the "
                                                "conversation again");
        }
        bool more = chat->session->next(chat->piece, token);
        if (!more) {
            chat->replying = false;
            if (chat->session->stop_reason() == LH_STOP_CANCELLED) ctx.cancel.store(false);  // the cancel is spent
        }
        *out_piece = chat->piece.c_str();
        *out_len = chat->piece.size();
        *out_token = token;
        *out_done = more ? 0 : 1;
    });
}

LH_API lh_stop_reason lh_chat_stop_reason(const lh_chat *chat) {
    return chat ? chat->session->stop_reason() : LH_STOP_NONE;
}

LH_API lh_status lh_chat_n_messages(const lh_chat *chat, size_t *out_n) {
    return guarded([&] {
        require_arg(chat != nullptr, "chat is NULL");
        require_arg(out_n != nullptr, "out_n is NULL");
        *out_n = chat->session->messages().size();
    });
}

LH_API lh_status lh_chat_message_at(const lh_chat *chat, size_t index, const char **out_role,
                                    const char **out_content) {
    return guarded([&] {
        require_arg(chat != nullptr, "chat is NULL");
        require_arg(out_role && out_content, "an out-pointer is NULL");
        const std::vector<ChatMessage> &m = chat->session->messages();
        if (index >= m.size())
            fail(LH_ERROR_INVALID_ARGUMENT, "message index " + std::to_string(index) + " is out of range (" +
                                                std::to_string(m.size()) + " messages)");
        *out_role = m[index].role.c_str();
        *out_content = m[index].content.c_str();
    });
}

LH_API lh_status lh_chat_last_prompt(const lh_chat *chat, int32_t *out_n_evaluated, int32_t *out_n_reused) {
    return guarded([&] {
        require_arg(chat != nullptr, "chat is NULL");
        require_arg(out_n_evaluated && out_n_reused, "an out-pointer is NULL");
        *out_n_evaluated = chat->session->last_evaluated();
        *out_n_reused = chat->session->last_reused();
    });
}

}  // extern "C"
