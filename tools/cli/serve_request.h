// What an OpenAI completion or chat request asks for, read and checked from its JSON body:
// the prompt, the sampling and stop rules, streaming, and the longheads extensions (attention
// options, top_k, min_p, repeat_penalty). Anything malformed throws ApiError(400) naming the
// field; fields this server does not implement are refused rather than ignored when they would
// change the answer (n > 1, logprobs, penalties, logit_bias, suffix).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json.h"
#include "longheads/longheads.h"

namespace cli {

struct ChatMessage {
    std::string role, content;
};

struct CompletionRequest {
    bool chat = false;
    std::string prompt;                 // completions: the text (unless prompt_ids)
    std::vector<int32_t> prompt_ids;    // completions: the prompt as token ids
    bool has_prompt_ids = false;
    std::vector<ChatMessage> messages;  // chat
    bool stream = false;
    bool include_usage = false;         // stream_options.include_usage
    bool echo = false;                  // completions: the prompt comes back before the answer
    int32_t max_tokens = -1;            // -1: the endpoint's default
    std::vector<std::string> stop;
    lh_sampler_params sampling;
    bool seed_given = false;
    bool ignore_eos = false;            // extension
    lh_context_params context;          // the server's, with the request's attention extensions
};

// `model_id`: the served model's name; a request naming another one gets 404.
CompletionRequest parse_completion_request(const Json &body, bool chat, const std::string &model_id,
                                           const lh_context_params &server_context);

}  // namespace cli
