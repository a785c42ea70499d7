// The prompt of a chat request: the messages rendered with the model's chat template.
#pragma once

#include <string>
#include <vector>

#include "serve_request.h"

namespace cli {

struct ServeState;

// Throws ApiError when the model has no usable template.
std::string chat_prompt(const ServeState &state, const std::vector<ChatMessage> &messages);

}  // namespace cli
