#include "flags.h"

#include <charconv>
#include <cstdint>

namespace cli {

namespace {

CLI::Option *add_float(CLI::App &cmd, const std::string &flag, float &target, const std::string &help) {
    CLI::Validator number(
        [](std::string &value) -> std::string {
            double v = 0;
            return CLI::detail::lexical_cast(value, v) ? std::string() : "needs a number, not '" + value + "'";
        },
        "");
    return cmd.add_option(flag, target, help)->check(number)->type_name("X")->capture_default_str();
}

// Refuses anything but a decimal integer in [lo, hi], saying so in the message.
template <typename T>
CLI::Validator integer_in(T lo, T hi) {
    const std::string want = "needs an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [lo, hi, want](std::string &value) -> std::string {
            T v{};  // base 10 only, the whole text, no overflow
            std::from_chars_result r = std::from_chars(value.data(), value.data() + value.size(), v);
            bool ok = r.ec == std::errc() && r.ptr == value.data() + value.size() && v >= lo && v <= hi;
            if (!ok) return want + ", not '" + value + "'";
            value = std::to_string(v);  // what CLI11 converts next reads "010" as octal
            return std::string();
        },
        "");
}

}  // namespace

CLI::Option *add_int_flag(CLI::App &cmd, const std::string &flag, int32_t &target, int32_t lo, int32_t hi,
                          const std::string &help, const std::string &value_name) {
    return cmd.add_option(flag, target, help)
        ->transform(integer_in(lo, hi))
        ->type_name(value_name)
        ->capture_default_str();
}

void add_model_flags(CLI::App &cmd, Args &args) {
    // Required, but checked when the command runs, so that an unknown flag is reported first.
    cmd.add_option("-m,--model", args.model_path, "GGUF model file (required)")->type_name("FILE");
    add_enum_flag(cmd, "--precision", args.model.precision, kPrecisionNames,
                  "weights and products: f32 exact, bf16 fast (quantized weights stay quantized), auto: f32 "
                  "for an all-f32 file, else bf16");
    add_int_flag(cmd, "-t,--threads", args.n_threads, 0, 1024, "threads (0 = all cores)");
}

void add_prompt_flags(CLI::App &cmd, Args &args) {
    cmd.add_option_function<std::string>(
           "-p,--prompt",
           [&args](const std::string &text) {
               args.prompt = text;
               args.prompt_set = true;
           },
           "prompt text")
        ->type_name("TEXT");
    cmd.add_option("-f,--file", args.file, "read the prompt from this file")->type_name("FILE");
    cmd.add_flag("--no-bos", args.no_bos, "do not start with the BOS token even if the vocabulary asks for it");
}

void add_context_flags(CLI::App &cmd, Args &args) {
    lh_context_params &c = args.context;
    add_int_flag(cmd, "-c,--ctx,--ctx-size", c.n_ctx, 0, kMaxTokens, "context size in tokens (0 = generate: the prompt plus -n, at least the trained context T; "
                 "otherwise T with --attention full, else 32 x T within half the memory)");
    add_int_flag(cmd, "-b,--batch-size", c.n_batch, 0, 1 << 20, "tokens per forward step (0 = 512)");
    cmd.add_option("--memory-budget", c.memory_budget_bytes, "refuse a KV cache larger than this (0 = no budget)")
        ->type_name("BYTES")
        ->capture_default_str();

    const std::string group = "Attention";
    add_enum_flag(cmd, "--attention", c.attention, kAttentionNames, "attention mode")->group(group);
    add_int_flag(cmd, "--chunk-size", c.chunk_size, 0, 1 << 20, "LongHeads chunk size w (0 = from the trained context)")
        ->group(group);
    add_int_flag(cmd, "--attn-len", c.attn_len, 0, kMaxTokens, "tokens one head attends to, L (0 = default)")->group(group);
    add_int_flag(cmd, "--begin", c.begin_len, 0, kMaxTokens, "LongHeads: full attention below B tokens (0 = L)")
        ->group(group);
    add_int_flag(cmd, "--sinks", c.n_sinks, 0, kMaxTokens, "window mode: sink tokens S (0 = 4)")->group(group);
    cmd.add_flag_function(
           "--allow-long-attn", [&c](int64_t) { c.allow_attn_len_over_trained = 1; },
           "permit L above the trained context (out of distribution)")
        ->group(group);
    add_enum_flag(cmd, "--prefill", c.prefill_mode, kPrefillNames,
                  "LongHeads prefill: each token selects its chunks, or a chunk's queries share one selection")
        ->group(group);
    add_enum_flag(cmd, "--kv-type", c.kv_type, kKvTypeNames, "KV cache element type")->group(group);
    add_enum_flag(cmd, "--chunk-score", c.chunk_score, kChunkScoreNames,
                  "LongHeads chunk score: the paper's q.c_j, the best key of the chunk, the chunk's "
                  "channel-wise key bound, or halfway between that bound and the key box's centre (default)")
        ->group(group);
    add_int_flag(cmd, "--local-chunks", c.local_chunks, 0, 1 << 20,
                 "LongHeads: the most recent chunks every token keeps (0 = 2, the previous and its own, "
                 "for faithful or K < 8; else 4)")
        ->group(group);
}

void add_sampling_flags(CLI::App &cmd, Args &args) {
    lh_sampler_params &s = args.sampling;
    const std::string group = "Sampling";
    add_float(cmd, "--temp", s.temperature, "temperature (0 = greedy)")->group(group);
    add_int_flag(cmd, "--top-k", s.top_k, -1, 1 << 30, "keep the K most likely tokens (<= 0: off)")->group(group);
    add_float(cmd, "--top-p", s.top_p, "nucleus sampling (1: off)")->group(group);
    add_float(cmd, "--min-p", s.min_p, "drop tokens below P times the best (0: off)")->group(group);
    add_float(cmd, "--repeat-penalty", s.repeat_penalty, "penalty for repeated tokens (1: off)")->group(group);
    add_int_flag(cmd, "--repeat-last-n", s.repeat_last_n, 0, kMaxTokens, "tokens the penalty looks back at")->group(group);
    add_seed_flag(cmd, args, "sampling seed");
}

void add_seed_flag(CLI::App &cmd, Args &args, const std::string &what) {
    cmd.add_option("-s,--seed", args.seed, what + " (-1 = random; the seed used is reported)")
        ->transform(integer_in(int64_t{-1}, INT64_MAX))
        ->type_name("N")
        ->capture_default_str();
}

void add_output_flags(CLI::App &cmd, Args &args) {
    cmd.add_flag("--json", args.json, "print one JSON object on stdout");
    cmd.add_flag_function(
        "--no-progress", [&args](int64_t) { args.progress = false; }, "no progress lines on stderr");
}

void add_chat_template_flags(CLI::App &cmd, Args &args) {
    auto *tmpl = cmd.add_option("--chat-template", args.chat_template,
                                "template family name (chatml, llama3, llama3.1, phi3, ...) or a Jinja template's "
                                "text; default: the model's tokenizer.chat_template")
                     ->type_name("NAME|TEXT");
    cmd.add_option("--chat-template-file", args.chat_template_file, "read the Jinja chat template from a file")
        ->type_name("FILE")
        ->excludes(tmpl);
}

}  // namespace cli
