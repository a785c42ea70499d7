// A multi-turn conversation on one context: the messages so far and the text the KV cache
// holds, so each turn evaluates only the text it adds (the whole conversation again when the
// new formatting does not extend what the cache holds, e.g. a template that trims replies).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "generation/generation.h"
#include "runtime/context.h"

namespace lh {

class ChatSession {
public:
    // `context` must outlive the session; an empty `system` adds no system message.
    ChatSession(Context &context, ChatTemplate tmpl, ChatSpecialTexts special, const std::string &system);

    // Records any unfinished reply, appends the user message, evaluates the new prompt text and
    // starts the reply. Throws lh::Error (context full, cancelled, ...); a failure leaves the
    // user message out of the conversation.
    void send(const std::string &user_text, const GenerationOptions &options, const std::atomic<bool> *cancel);

    // One step of the reply (as Generation::next); the finished reply joins the conversation.
    bool next(std::string &piece, int32_t &token);

    // Another call changed the context: record the reply as it stands and evaluate the whole
    // conversation again next turn.
    void context_lost() {
        finish_reply();
        cached_tokens_ = -1;
    }

    lh_stop_reason stop_reason() const { return generation_ ? generation_->stop_reason() : stopped_; }
    const std::vector<ChatMessage> &messages() const { return messages_; }
    // Tokens the last send evaluated, and tokens it found in the cache and kept.
    int32_t last_evaluated() const { return last_evaluated_; }
    int32_t last_reused() const { return last_reused_; }

private:
    void finish_reply();

    Context &context_;
    ChatTemplate template_;
    ChatSpecialTexts special_;
    std::vector<ChatMessage> messages_;
    std::unique_ptr<Generation> generation_;
    std::string reply_;        // text of the reply in progress
    bool replying_ = false;
    lh_stop_reason stopped_ = LH_STOP_NONE;  // why the last reply ended
    int32_t reply_start_ = 0;  // n_past when the reply began
    std::string cached_text_;  // the text whose tokens the context holds
    int32_t cached_tokens_ = 0;
    int32_t last_evaluated_ = 0;
    int32_t last_reused_ = 0;
};

}  // namespace lh
