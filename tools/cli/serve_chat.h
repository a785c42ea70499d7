// The prompt of a chat request: the messages formatted with the chat template (lh_chat_format)
// and tokenized as llama.cpp's server does (control-token texts parsed, BOS once: from the
// template's text or from the vocabulary).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve_request.h"

namespace cli {

struct ServeState;

// What the server knows of its chat template, settled once at start.
struct ChatSetup {
    std::string tmpl;         // --chat-template (a family name or a template's text); "" = the model's
    std::string family;       // the family lh_chat_format uses; "" when there is none
    std::string unavailable;  // why chat requests cannot be served ("" when they can)
    std::string bos_text;     // the BOS token's text ("" when the vocabulary has none)
};

// Throws std::runtime_error when `tmpl` is given and the library cannot use it.
ChatSetup chat_setup(const lh_model *model, const lh_model_info &info, const std::string &tmpl);

// Throws ApiError: 501 when the server has no usable template, 400 when the messages are refused
// by it (roles not alternating, a NUL in a message).
std::vector<int32_t> chat_prompt_tokens(const ServeState &state, const std::vector<ChatMessage> &messages);

}  // namespace cli
