#include "generation/generation.h"

#include <algorithm>

#include "common/error.h"
#include "generation/utf8.h"
#include "model/model.h"
#include "tokenizer/vocab.h"

namespace lh {

Generation::Generation(Context &context, std::string_view prompt, const GenerationOptions &options,
                       const std::atomic<bool> *cancel)
    : context_(context), options_(options), cancel_(cancel), sampler_(options.sampling), decoder_(false) {
    require(options_.max_tokens >= 0, LH_ERROR_INVALID_ARGUMENT, "max_tokens must be >= 0");
    for (const std::string &s : options_.stop)
        require(!s.empty(), LH_ERROR_INVALID_ARGUMENT, "stop strings must not be empty");
    const Vocab &vocab = context_.model().vocab();
    bool want_bos = options_.add_bos && context_.n_past() == 0;
    prompt_tokens_ = vocab.tokenize(prompt, want_bos, false, cancel_);
    require(!prompt_tokens_.empty() || context_.n_past() > 0, LH_ERROR_INVALID_ARGUMENT,
            "the prompt is empty and the context holds no tokens to continue from");
    if (!prompt_tokens_.empty()) {
        context_.eval(prompt_tokens_.data(), prompt_tokens_.size(), false, cancel_);
        for (int32_t t : prompt_tokens_) sampler_.accept(t);
    } else {
        require(context_.n_logits() > 0, LH_ERROR_INVALID_ARGUMENT,
                "the prompt is empty and the context has no logits to continue from");
    }
}

bool Generation::finish(lh_stop_reason reason, std::string &piece, int32_t &token) {
    if (reason_ == LH_STOP_NONE) {
        reason_ = reason;
        if (reason != LH_STOP_STRING) {
            held_ += valid_utf8(decoder_.flush());
            piece = held_;
        }
        held_.clear();
    }
    token = -1;
    return false;
}

void Generation::end(lh_stop_reason reason) {
    if (reason_ == LH_STOP_NONE) reason_ = reason;
    held_.clear();
}

bool Generation::release_text(std::string &out) {
    // A complete stop string ends the generation; text before it is released.
    size_t first = std::string::npos;
    for (const std::string &s : options_.stop) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        out.append(held_, 0, first);
        held_.clear();
        return true;
    }
    // Hold back the longest tail that could still grow into a stop string.
    size_t keep = 0;
    for (const std::string &s : options_.stop) {
        for (size_t len = std::min(s.size() - 1, held_.size()); len > keep; --len) {
            if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    out.append(held_, 0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return false;
}

bool Generation::next(std::string &piece, int32_t &token) {
    piece.clear();
    token = -1;
    if (reason_ != LH_STOP_NONE) return false;
    if (cancel_ && cancel_->load()) return finish(LH_STOP_CANCELLED, piece, token);
    if (static_cast<int32_t>(generated_.size()) >= options_.max_tokens)
        return finish(LH_STOP_MAX_TOKENS, piece, token);
    if (to_eval_ >= 0) {
        if (context_.n_past() >= context_.options().n_ctx) return finish(LH_STOP_CONTEXT_FULL, piece, token);
        context_.eval(&to_eval_, 1, false, nullptr);  // one token: not worth a reset on cancel
        to_eval_ = -1;
    }
    const Vocab &vocab = context_.model().vocab();
    int32_t next_token = sampler_.sample(context_.logits(-1), vocab.size());
    if (options_.stop_at_eog && vocab.is_eog(next_token)) return finish(LH_STOP_EOG, piece, token);

    generated_.push_back(next_token);
    to_eval_ = next_token;
    held_ += valid_utf8(decoder_.push(vocab, next_token));
    if (release_text(piece)) {
        std::string tail;
        finish(LH_STOP_STRING, tail, token);
        token = next_token;  // this step's token still counts; the next call reports the end
        return true;
    }
    token = next_token;
    return true;
}

}  // namespace lh
