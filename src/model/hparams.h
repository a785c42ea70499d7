// Hyper-parameters of a Llama-family GGUF model (architectures `llama`, `qwen2`, `qwen3`, `phi3`,
// `granite`, `smollm3`, `ernie4_5` (ERNIE 4.5 dense), `exaone` (EXAONE 3.x), `mistral3`
// (Ministral 3)), read from its
// `<arch>.*` metadata. They share one forward pass (model/forward.h); they differ in RoPE pairing
// (llama, granite, smollm3, ernie4_5, mistral3: adjacent; the others: NEOX), Q/K/V biases (qwen2),
// an RMS norm of every query and key head before RoPE (qwen3), fused tensors (phi3), which model
// loading handles, four scale factors (granite), layers without RoPE (smollm3: every fourth), and
// a query temperature and YaRN parameters from the file (mistral3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lh {

class GgufFile;

struct HParams {
    std::string architecture;  // general.architecture: one of the architectures above
    int32_t n_ctx_train = 0;   // llama.context_length: the trained window T
    int32_t n_embd = 0;        // llama.embedding_length
    int32_t n_layer = 0;       // llama.block_count
    int32_t n_ff = 0;          // llama.feed_forward_length
    int32_t n_head = 0;        // llama.attention.head_count
    int32_t n_head_kv = 0;     // llama.attention.head_count_kv (default n_head)
    int32_t head_dim = 0;      // llama.attention.key_length (default n_embd / n_head)
    int32_t n_rot = 0;         // llama.rope.dimension_count (default head_dim)
    float rope_freq_base = 10000.0f;  // llama.rope.freq_base
    float rope_freq_scale = 1.0f;     // 1 / llama.rope.scaling.factor for scaling type "linear" or "yarn"
    bool rope_yarn = false;           // llama.rope.scaling.type "yarn" (n_ctx_orig is its original window)
    bool rope_neox = false;           // RoPE pairs (i, i + n_rot/2): qwen2, qwen3, phi3, exaone
    // n > 0: the layers with (layer + 1) % n == 0 apply no RoPE (NoPE). smollm3: 4, the value
    // llama.cpp fixes for it (the file has no key for it).
    int32_t no_rope_layer_step = 0;
    std::vector<float> rope_freq_factors;  // tensor rope_freqs.weight (Llama-3.1), filled by model loading
    // LongRoPE (Phi-3 and Phi-3.5 128k, Phi-4-mini): frequency divisors for contexts longer than the
    // original window and for the others (tensors rope_factors_long / rope_factors_short, filled by
    // model loading), and a magnitude factor on every rotated pair (llama.cpp applies the
    // rope.scaling.attn_factor key to every architecture).
    std::vector<float> rope_factors_long, rope_factors_short;
    float rope_attn_factor = 1.0f;  // llama.rope.scaling.attn_factor
    int32_t n_ctx_orig = 0;         // llama.rope.scaling.original_context_length (default context_length)
    // mistral3 (Ministral 3) reads YaRN's correction betas and log multiplier from the file (other
    // architectures use llama.cpp's defaults 32 and 1, and no multiplier), and may scale each query
    // by a temperature that grows with its position: log(floor(pos / n_ctx_orig) + 1) * s + 1.
    float yarn_beta_fast = 32.0f;  // llama.rope.scaling.yarn_beta_fast
    float yarn_beta_slow = 1.0f;   // llama.rope.scaling.yarn_beta_slow
    float yarn_log_mul = 0.0f;     // llama.rope.scaling.yarn_log_multiplier (0: none)
    float attn_temp_scale = 0.0f;  // llama.attention.temperature_scale (0: no temperature)
    float rms_norm_eps = 1e-5f;       // llama.attention.layer_norm_rms_epsilon
    // Granite's multipliers (0 = not set; llama.cpp reads them for granite only): embeddings times
    // embedding_scale, each block's output times residual_scale before the residual sum, attention
    // logits times attention_scale instead of 1/sqrt(head_dim), and logits divided by logit_scale.
    float embedding_scale = 0.0f;  // granite.embedding_scale
    float residual_scale = 0.0f;   // granite.residual_scale
    float attention_scale = 0.0f;  // granite.attention.scale
    float logit_scale = 1.0f;      // granite.logit_scale (required for granite)
    int32_t n_vocab = 0;       // tokenizer.ggml.tokens length, else token_embd rows

    int64_t q_dim() const { return static_cast<int64_t>(n_head) * head_dim; }
    int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }

    // Reads and validates. Throws lh::Error: LH_ERROR_UNSUPPORTED for another architecture or
    // RoPE scaling we do not implement; LH_ERROR_BAD_FORMAT naming the key for a missing or
    // inconsistent value.
    static HParams from_gguf(const GgufFile &file);

    // The RoPE frequency divisors a context of n_ctx tokens uses: rope_freqs when the file has it,
    // else LongRoPE's long factors when n_ctx, rounded up to a multiple of 256 as llama.cpp rounds
    // its contexts, exceeds the original window, else the short ones (empty: none).
    const std::vector<float> &rope_factors_for(int64_t n_ctx) const;
    // What multiplies every cosine and sine: rope_attn_factor, and for YaRN its magnitude
    // correction as llama.cpp computes it.
    float rope_magnitude() const;
    // The factor mistral3's temperature multiplies a query at position pos by (1 without one).
    float query_temperature(int64_t pos) const;

    // The checks from_gguf applies (public for tests that build HParams by hand).
    void validate() const;
};

}  // namespace lh
