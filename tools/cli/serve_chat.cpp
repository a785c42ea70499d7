#include "serve_chat.h"

#include <stdexcept>

#include "serve_error.h"
#include "serve_server.h"

namespace cli {

ChatSetup chat_setup(const lh_model *model, const lh_model_info &info, const std::string &tmpl) {
    ChatSetup c;
    c.tmpl = tmpl;
    const char *family = nullptr;
    if (lh_chat_template_family(model, tmpl.empty() ? nullptr : tmpl.c_str(), &family) == LH_OK)
        c.family = family;
    else if (!tmpl.empty())  // asked for explicitly: the server does not start
        throw std::runtime_error(std::string("unusable --chat-template: ") + lh_last_error());
    else
        c.unavailable = std::string("chat is not available: ") + lh_last_error() +
                        " (start the server with --chat-template NAME|TEXT, or use /v1/completions)";
    if (info.bos_token >= 0) {
        size_t n = 0;
        lh_status s = lh_token_piece(model, info.bos_token, nullptr, 0, &n);
        std::string text(n, '\0');
        if (s == LH_ERROR_BUFFER_TOO_SMALL || s == LH_OK) s = lh_token_piece(model, info.bos_token, &text[0], n, &n);
        if (s == LH_OK) c.bos_text = text.substr(0, n);
    }
    return c;
}

namespace {

std::string format_messages(const ServeState &st, const std::vector<ChatMessage> &messages) {
    std::vector<lh_chat_message> msgs;
    msgs.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
        const ChatMessage &m = messages[i];
        if (m.content.find('\0') != std::string::npos)
            throw bad_field("messages[" + std::to_string(i) + "].content", "must not hold a NUL character");
        // OpenAI's "developer" role is the system message of the newer models.
        msgs.push_back({m.role == "developer" ? "system" : m.role.c_str(), m.content.c_str()});
    }
    const char *tmpl = st.chat.tmpl.empty() ? nullptr : st.chat.tmpl.c_str();
    size_t n = 0;
    lh_status s = lh_chat_format(st.model, tmpl, msgs.data(), msgs.size(), 1, nullptr, 0, &n);
    std::string text(n + 1, '\0');
    if (s == LH_ERROR_BUFFER_TOO_SMALL || s == LH_OK)
        s = lh_chat_format(st.model, tmpl, msgs.data(), msgs.size(), 1, &text[0], text.size(), &n);
    if (s != LH_OK)
        throw ApiError(400, std::string("the messages cannot be formatted with the ") + st.chat.family +
                                " chat template: " + lh_last_error(),
                       "invalid_request_error", "messages");
    text.resize(n);
    return text;
}

}  // namespace

std::vector<int32_t> chat_prompt_tokens(const ServeState &st, const std::vector<ChatMessage> &messages) {
    if (!st.chat.unavailable.empty())
        throw ApiError(501, st.chat.unavailable, "invalid_request_error", "messages", "chat_template_missing");
    const std::string text = format_messages(st, messages);
    const std::string &bos = st.chat.bos_text;
    const bool bos_in_text = !bos.empty() && text.compare(0, bos.size(), bos) == 0;
    return tokenize_prompt(st.model, text, st.info.add_bos != 0 && !bos_in_text, true);
}

}  // namespace cli
