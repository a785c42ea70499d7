// A context: one sequence's KV cache and attention configuration, the threads that run it and
// the logits of its last evaluation. Used by one thread at a time (it may change threads between
// calls); many contexts may share one Model.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "longheads/longheads.h"


namespace lh {

class Attention;
class Forward;
class MatmulCache;
class Model;
struct AttentionConfig;
struct HParams;

struct ContextOptions {
    int32_t n_ctx = 0;      // 0 = the trained context T
    int32_t n_threads = 0;  // 0 = hardware threads
    int32_t n_batch = 512;  // 0 = 512; at most 4096 and n_ctx
    lh_attention attention = LH_ATTENTION_FULL;
    int32_t chunk_size = 0, attn_len = 0, begin_len = 0, n_sinks = 0;  // 0 = defaults from T
    bool allow_attn_len_over_trained = false;
    lh_prefill_mode prefill_mode = LH_PREFILL_PER_TOKEN;
    lh_kv_type kv_type = LH_KV_F32;
    uint64_t memory_budget_bytes = 0;  // 0 = none
    lh_chunk_score chunk_score = LH_CHUNK_SCORE_BOUND_MID;
    int32_t local_chunks = 0;  // 0 = default (2, or 4 for the key-based scores when K >= 8)
};

// Fills defaults (docs/ATTENTION.md "Defaults": w = max(16, T/16) rounded down to a power of
// two, L = 3T/4 rounded down to a multiple of w, B = L, S = 4; n_ctx 0 -> T in full attention,
// default_long_n_ctx otherwise; n_threads 0 -> hardware threads, n_batch 0 -> 512) and validates
// every field. Throws lh::Error(LH_ERROR_INVALID_ARGUMENT) naming the field and the value.
ContextOptions resolve_context_options(const HParams &hp, ContextOptions opts);

// The local chunks a LongHeads head keeps when local_chunks is 0, for K = attn_len / chunk_size.
int32_t default_local_chunks(lh_chunk_score score, int32_t k);

// n_ctx 0 with window or LongHeads attention: 32 x T tokens, or the most (at least T) whose KV
// cache fits in half of the memory budget, or without one of the physical memory (or RLIMIT_AS).
// `resolved`: options with every attention default filled in.
int32_t default_long_n_ctx(const HParams &hp, const ContextOptions &resolved);

// The attention module's configuration for resolved options.
AttentionConfig attention_config(const HParams &hp, const ContextOptions &resolved);

class Context {
public:
    // Resolves and validates `opts`, checks the memory budget and allocates the KV cache.
    // Throws lh::Error: LH_ERROR_INVALID_ARGUMENT, LH_ERROR_OUT_OF_MEMORY (budget exceeded or
    // allocation failed, with the bytes). `model` must outlive the context.
    Context(const Model &model, const ContextOptions &opts);
    ~Context();
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;

    const ContextOptions &options() const { return opts_; }  // resolved
    const Model &model() const { return model_; }

    void reset();  // forget all tokens and logits; the cache stays allocated
    int32_t n_past() const { return n_past_; }
    const std::vector<int32_t> &tokens() const { return tokens_; }  // the n_past tokens held
    uint64_t kv_bytes() const;

    // Appends tokens[0..n) and runs the model over them in batches of n_batch. Afterwards
    // logits() holds the last token's logits, or every token's with all_logits.
    // Checked before anything is evaluated (state untouched on failure): n == 0 or a null
    // pointer, ids out of range (LH_ERROR_INVALID_ARGUMENT), too many tokens
    // (LH_ERROR_CONTEXT_FULL). `cancel` (may be null) is polled between layers; when it is set,
    // eval throws LH_ERROR_CANCELLED: batches that completed stay in the context (n_past counts
    // them) and the interrupted batch is dropped (in LongHeads mode with chunk keys, back to the
    // start of the chunk it began in, whose pending queries it may have overwritten). Either
    // way n_past() and tokens() are consistent with the cache and no logits are available. Logits
    // that come out NaN or infinite throw LH_ERROR_NUMERIC and reset the context.
    void eval(const int32_t *tokens, size_t n, bool all_logits, const std::atomic<bool> *cancel = nullptr);

    int32_t n_logits() const { return n_logits_; }  // rows available from the last eval
    // n_vocab floats of row `index` of the last eval (-1 = its last row). Valid until the next
    // eval/reset. Throws LH_ERROR_INVALID_ARGUMENT when out of range or no logits exist.
    const float *logits(int32_t index) const;

    // --- State (context_state.cpp) ---
    // Writes the context to a file (runtime/context_file.h, docs/CONTEXT_FILE.md): its tokens,
    // the last token's logits if available, the attention state. Throws LH_ERROR_IO.
    void save(const std::string &path) const;
    // A context holding what the file holds. `opts` null: the saved parameters; otherwise they
    // must agree with the saved attention parameters (n_ctx 0 = the saved size; n_threads,
    // n_batch, memory budget are free). Refuses, with a message naming the difference, a file of
    // another model or precision, other attention parameters, or a damaged file.
    static std::unique_ptr<Context> load(const Model &model, const std::string &path, const ContextOptions *opts);
    // The resolved options a saved context was made with (header checks only).
    static ContextOptions saved_options(const std::string &path);
    // An independent copy: same parameters, tokens, state and logits.
    std::unique_ptr<Context> fork() const;
    // Keeps the first n_keep tokens (0 <= n_keep <= n_past). LongHeads chunk keys may need the
    // tokens since the start of n_keep's chunk re-evaluated from the history (at most w - 1).
    // Afterwards no logits are available. Throws LH_ERROR_CANCELLED (context then shorter).
    void truncate(int32_t n_keep, const std::atomic<bool> *cancel);
    // Makes the context hold exactly tokens[0..n): keeps the longest prefix of what it holds
    // that `tokens` starts with (but re-evaluates at least the last token, for its logits),
    // evaluates only the rest. Returns the tokens reused. Validated first like eval(); the
    // logits of the last token are then available.
    int32_t eval_reuse(const int32_t *tokens, size_t n, const std::atomic<bool> *cancel);

    // KV bytes (Attention::estimate_bytes) a context with these options would need at n_tokens
    // tokens. Validates the options like the constructor.
    static uint64_t estimate_kv_bytes(const Model &model, const ContextOptions &opts, int64_t n_tokens);

    // Matmul primitives created so far (tests).
    size_t n_matmul_primitives() const;

private:
    // Cuts the state back to at most n_keep tokens without evaluating; returns what it kept.
    int32_t cut_to(int32_t n_keep);
    void check_tokens(const int32_t *tokens, size_t n) const;
    // Throws LH_ERROR_NUMERIC (after a reset) when rows x n_vocab logits hold NaN or infinity.
    void check_finite(const float *logits, int32_t rows, int32_t first_token);
    uint64_t logits_bytes(uint64_t rows) const;
    // Throws LH_ERROR_OUT_OF_MEMORY, with every part, when they exceed memory_budget_bytes.
    void check_budget(uint64_t kv, uint64_t scratch, uint64_t logit_rows) const;

    const Model &model_;
    ContextOptions opts_;
    std::unique_ptr<tbb::task_arena> arena_;
    std::unique_ptr<Attention> attn_;
    std::unique_ptr<MatmulCache> mm_;
    std::unique_ptr<Forward> fwd_;
    uint64_t act_bytes_ = 0;    // activation buffers for batches of n_batch (allocated lazily)
    uint64_t fixed_bytes_ = 0;  // KV cache, attention scratch and activations: all but the logits
    int32_t n_past_ = 0;
    std::vector<int32_t> tokens_;  // the n_past_ tokens held
    int32_t n_logits_ = 0;
    std::vector<float> logits_;
};

}  // namespace lh
