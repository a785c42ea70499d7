// The values of the command-line flags. Library parameters live in the C API's own structs,
// filled with their defaults by the lh_*_params_init functions, and the flags write straight
// into them (flags.cpp): a default is defined once, in the library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "longheads/longheads.h"

namespace cli {

struct Args {
    Args();

    std::string command;            // the subcommand that was parsed
    // Inputs.
    std::string model_path;         // -m
    std::string prompt;             // -p
    bool prompt_set = false;        // -p given (an empty prompt is a prompt)
    std::string file;               // -f
    std::string tokens_file;        // --tokens-file (JSON list of ids)
    bool no_bos = false;
    bool parse_special = false;  // tokenize: control-token texts become their ids

    // Library parameters (-t goes to both the model and the context).
    int32_t n_threads = 0;          // -t
    lh_model_params model;          // --precision
    lh_context_params context;      // -c -b and the attention flags
    lh_sampler_params sampling;     // --temp --top-k ... (the seed comes from `seed`)

    // generate
    int32_t n_predict = 0;          // -n (default: lh_generate_params.max_tokens)
    std::vector<std::string> stop;  // --stop (repeatable)
    bool ignore_eos = false;
    int64_t seed = -1;              // --seed; -1 = a random seed, reported
    bool perf = true;               // the timing summary on stderr (--no-perf turns it off)
    bool verbose = false;           // -v
    std::string load_context;       // --load-context FILE (context_files.cpp)
    std::string save_context;       // --save-context FILE

    // chat
    std::string system;             // --system
    std::string chat_template;      // --chat-template (a family name or a template's text)
    std::string chat_template_file; // --chat-template-file

    // Output.
    bool json = false;
    bool progress = true;           // progress lines on a terminal (--no-progress)

    // logits
    bool all_logits = false;        // --all: every position
    // perplexity
    int32_t n_sequences = 1;        // --sequences
    // passkey
    int32_t length = 0;             // --length
    int32_t trials = 5;             // --trials
    double depth = -1.0;            // --depth (fraction 0..1); < 0 = spread over the trials
    // bench
    int32_t n_gen = 32;             // --gen
    bool prefill_only = false;
    bool membw = false;
};

// Library parameter structs from the flags (the shared -t copied in).
lh_model_params model_params(const Args &args);
lh_context_params context_params(const Args &args);

// The seed to use: --seed if given, otherwise a fresh random one.
uint64_t resolve_seed(const Args &args);

}  // namespace cli
