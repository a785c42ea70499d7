// Command-line flags shared by the longheads subcommands (llama.cpp-style names).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "longheads/longheads.h"

namespace cli {

struct Args {
    std::string command;
    std::string model;            // -m
    std::string prompt;           // -p
    bool prompt_set = false;
    std::string file;             // -f
    std::string tokens_file;      // --tokens-file (JSON list of ids)
    int32_t n_predict = 64;       // -n
    int32_t n_ctx = 0;            // -c / --ctx
    int32_t n_threads = 0;        // -t
    int32_t n_batch = 0;          // -b
    int32_t n_sequences = 1;      // perplexity --sequences
    float temperature = 0.8f;     // --temp
    int32_t top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float repeat_penalty = 1.0f;
    int32_t repeat_last_n = 64;
    uint64_t seed = 0xC0FFEE;
    std::vector<std::string> stop;  // --stop (repeatable)
    bool json = false;
    bool no_bos = false;
    bool all_logits = false;        // logits: every position
    bool ignore_eos = false;
    std::string precision = "f32";  // --precision f32|bf16
    // Attention.
    std::string attention = "full";
    int32_t chunk_size = 0, attn_len = 0, begin_len = 0, n_sinks = 0;
    bool allow_long_attn = false;
    std::string prefill = "token";  // token|block
    std::string kv_type = "f32";
    std::string chunk_score = "faithful";  // faithful|max
    uint64_t memory_budget = 0;
    // Evaluation.
    int32_t length = 0;    // passkey --length
    int32_t trials = 5;    // passkey --trials
    double depth = -1.0;   // passkey --depth (fraction 0..1); <0 = spread
    int32_t n_gen = 32;    // bench --gen
    bool prefill_only = false;
    bool membw = false;
    bool progress = true;
};

// Parses argv; on a bad flag prints the reason and returns false.
bool parse_args(int argc, char **argv, Args &args, std::string &error);

// Context / model / sampler parameters from the flags. Returns false with a message on an
// unknown enum value.
bool make_model_params(const Args &args, lh_model_params &p, std::string &error);
bool make_context_params(const Args &args, lh_context_params &p, std::string &error);
void make_sampler_params(const Args &args, lh_sampler_params &p);

}  // namespace cli
