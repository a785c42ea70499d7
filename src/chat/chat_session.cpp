#include "chat/chat_session.h"

#include "common/error.h"
#include "model/model.h"
#include "tokenizer/vocab.h"

namespace lh {

ChatSession::ChatSession(Context &context, ChatTemplate tmpl, ChatSpecialTexts special, const std::string &system)
    : context_(context), template_(std::move(tmpl)), special_(std::move(special)) {
    if (!system.empty()) messages_.push_back({"system", system});
}

void ChatSession::finish_reply() {
    if (!replying_) return;
    replying_ = false;
    // The context holds the reply's tokens except the last one sampled (evaluated lazily, never
    // for an end-of-generation token): their pieces are the text the cache now covers.
    const Vocab &vocab = context_.model().vocab();
    const std::vector<int32_t> &generated = generation_->tokens();
    int32_t in_cache = context_.n_past() - reply_start_;
    if (in_cache < 0 || in_cache > static_cast<int32_t>(generated.size())) {
        cached_tokens_ = -1;  // someone else changed the context: start over next turn
    } else {
        for (int32_t i = 0; i < in_cache; ++i) cached_text_ += vocab.piece(generated[i], true);
        cached_tokens_ = context_.n_past();
    }
    messages_.push_back({"assistant", reply_});
    reply_.clear();
    generation_.reset();
}

void ChatSession::send(const std::string &user_text, const GenerationOptions &options,
                       const std::atomic<bool> *cancel) {
    finish_reply();
    stopped_ = LH_STOP_NONE;
    std::vector<ChatMessage> next = messages_;
    next.push_back({"user", user_text});
    std::string text = format_chat(template_, next, true, special_);
    const Vocab &vocab = context_.model().vocab();
    bool extends = cached_tokens_ > 0 && cached_tokens_ == context_.n_past() &&
                   text.compare(0, cached_text_.size(), cached_text_) == 0;
    std::vector<int32_t> tokens;
    if (extends) {
        tokens = vocab.tokenize(std::string_view(text).substr(cached_text_.size()), false, true, cancel);
        last_reused_ = cached_tokens_;
    } else {
        // BOS once: from the template's text, or from the vocabulary when the text lacks it.
        bool bos_in_text = !special_.bos.empty() && text.compare(0, special_.bos.size(), special_.bos) == 0;
        tokens = vocab.tokenize(text, vocab.add_bos() && !bos_in_text, true, cancel);
        require(static_cast<int64_t>(tokens.size()) <= context_.options().n_ctx, LH_ERROR_CONTEXT_FULL,
                "the conversation (" + std::to_string(tokens.size()) + " tokens) does not fit the context of " +
                    std::to_string(context_.options().n_ctx));
        context_.reset();
        cached_text_.clear();
        last_reused_ = 0;
    }
    int32_t before = context_.n_past();
    try {
        context_.eval(tokens.data(), tokens.size(), false, cancel);
    } catch (...) {
        // Refused up front (context full): the cache is unchanged. Cut short: start over.
        if (context_.n_past() != before || !extends) cached_tokens_ = -1;
        throw;
    }
    cached_text_ = text;
    cached_tokens_ = context_.n_past();
    last_evaluated_ = static_cast<int32_t>(tokens.size());
    messages_ = std::move(next);
    GenerationOptions o = options;
    o.add_bos = false;
    generation_ = std::make_unique<Generation>(context_, std::string_view(), o, cancel);
    reply_start_ = context_.n_past();
    replying_ = true;
}

bool ChatSession::next(std::string &piece, int32_t &token) {
    piece.clear();
    token = -1;
    if (!replying_) return false;
    bool more = generation_->next(piece, token);
    reply_ += piece;
    if (!more) {
        lh_stop_reason reason = generation_->stop_reason();
        finish_reply();
        stopped_ = reason;
    }
    return more;
}

}  // namespace lh
