#include "commands.h"

namespace cli {

const std::vector<Command> &commands() {
    static const std::vector<Command> table = {
        {"info", "hyper-parameters, tensor types, KV cache bytes at N tokens", add_info_flags, run_info},
        {"tokenize", "token ids (and pieces) of a text", add_tokenize_flags, run_tokenize},
        {"logits", "logits after a prompt (JSON)", add_logits_flags, run_logits},
        {"generate", "continue a prompt", add_generate_flags, run_generate},
        {"chat", "interactive multi-turn chat with the model's chat template", add_chat_flags, run_chat},
        {"passkey", "pass-key retrieval accuracy at a prompt length", add_passkey_flags, run_passkey},
        {"perplexity", "perplexity of a text file, per trained-window slice", add_perplexity_flags, run_perplexity},
        {"bench", "prefill and decode speed at a depth; --membw: read bandwidth", add_bench_flags, run_bench},
        {"serve", "OpenAI-compatible HTTP server (completions, streaming, prefix reuse)", add_serve_flags, run_serve},
    };
    return table;
}

}  // namespace cli
