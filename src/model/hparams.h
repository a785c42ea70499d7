// Hyper-parameters of a Llama-family GGUF model (architectures `llama`, `qwen2`, `qwen3`, `phi3`),
// read from its `<arch>.*` metadata. They share one forward pass (model/forward.h); they differ in
// RoPE pairing (llama: adjacent; the others: NEOX), Q/K/V biases (qwen2), an RMS norm of every
// query and key head before RoPE (qwen3) and fused tensors (phi3), which model loading handles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lh {

class GgufFile;

struct HParams {
    std::string architecture;  // general.architecture: "llama", "qwen2", "qwen3" or "phi3"
    int32_t n_ctx_train = 0;   // llama.context_length: the trained window T
    int32_t n_embd = 0;        // llama.embedding_length
    int32_t n_layer = 0;       // llama.block_count
    int32_t n_ff = 0;          // llama.feed_forward_length
    int32_t n_head = 0;        // llama.attention.head_count
    int32_t n_head_kv = 0;     // llama.attention.head_count_kv (default n_head)
    int32_t head_dim = 0;      // llama.attention.key_length (default n_embd / n_head)
    int32_t n_rot = 0;         // llama.rope.dimension_count (default head_dim)
    float rope_freq_base = 10000.0f;  // llama.rope.freq_base
    float rope_freq_scale = 1.0f;     // 1 / llama.rope.scaling.factor for scaling type "linear"
    bool rope_neox = false;           // RoPE pairs (i, i + n_rot/2): qwen2, qwen3, phi3
    std::vector<float> rope_freq_factors;  // tensor rope_freqs.weight (Llama-3.1), filled by model loading
    float rms_norm_eps = 1e-5f;       // llama.attention.layer_norm_rms_epsilon
    int32_t n_vocab = 0;       // tokenizer.ggml.tokens length, else token_embd rows

    int64_t q_dim() const { return static_cast<int64_t>(n_head) * head_dim; }
    int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }

    // Reads and validates. Throws lh::Error: LH_ERROR_UNSUPPORTED for another architecture or
    // RoPE scaling we do not implement; LH_ERROR_BAD_FORMAT naming the key for a missing or
    // inconsistent value.
    static HParams from_gguf(const GgufFile &file);

    // The checks from_gguf applies (public for tests that build HParams by hand).
    void validate() const;
};

}  // namespace lh
