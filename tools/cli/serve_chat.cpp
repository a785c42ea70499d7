#include "serve_chat.h"

#include "serve_error.h"
#include "serve_server.h"

namespace cli {

// Chat templates come with the library's chat-format API (models work in progress); until then
// /v1/chat/completions answers 501 and says so.
std::string chat_prompt(const ServeState &, const std::vector<ChatMessage> &) {
    throw ApiError(501, "chat templates are not available in this build of longheads yet; use /v1/completions",
                   "server_error", "messages", "not_implemented");
}

}  // namespace cli
