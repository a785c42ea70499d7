// One text generation on a context: prompt evaluation, sampling, streaming of complete, valid
// UTF-8 pieces, and the stop rules (max tokens, end-of-generation token, stop strings, full
// context, cancel).
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "longheads/longheads.h"
#include "runtime/context.h"
#include "sampling/sampler.h"
#include "tokenizer/stream_decoder.h"

namespace lh {

struct GenerationOptions {
    int32_t max_tokens = 128;
    SamplerOptions sampling;
    std::vector<std::string> stop;
    bool add_bos = true;
    bool stop_at_eog = true;
};

class Generation {
public:
    // Tokenizes and evaluates the prompt (BOS first when asked, the vocabulary wants it and the
    // context is empty). Throws lh::Error (validation, context full, cancelled: `cancel` is
    // polled during the prompt's evaluation).
    Generation(Context &context, std::string_view prompt, const GenerationOptions &options,
               const std::atomic<bool> *cancel);

    // One step. Returns true with the next sampled token and the text it released (maybe
    // empty), or false once finished, with the text still held back in `piece` (maybe
    // non-empty: the final flush) and token -1. A set `cancel` flag ends the generation with
    // LH_STOP_CANCELLED at the start of a step; a step's single-token evaluation is never
    // interrupted, so the context always holds whole tokens.
    bool next(std::string &piece, int32_t &token);

    // Ends the generation now with `reason`, dropping any held-back text.
    void end(lh_stop_reason reason);

    lh_stop_reason stop_reason() const { return reason_; }
    const std::vector<int32_t> &prompt_tokens() const { return prompt_tokens_; }
    const std::vector<int32_t> &tokens() const { return generated_; }

private:
    bool finish(lh_stop_reason reason, std::string &piece, int32_t &token);
    // Moves text that can no longer be the start of a stop string into `out`; returns true if a
    // stop string was found (text before it goes out, the rest is dropped).
    bool release_text(std::string &out);

    Context &context_;
    GenerationOptions options_;
    const std::atomic<bool> *cancel_;
    Sampler sampler_;
    StreamDecoder decoder_;
    std::vector<int32_t> prompt_tokens_;
    std::vector<int32_t> generated_;
    std::string held_;           // valid UTF-8 not yet released (possible stop-string start)
    int32_t to_eval_ = -1;       // last sampled token, evaluated lazily before the next sample
    lh_stop_reason reason_ = LH_STOP_NONE;
};

}  // namespace lh
