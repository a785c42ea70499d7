#include "model/hparams.h"

#include <cmath>
#include <string>

#include "common/error.h"
#include "gguf/gguf_file.h"

namespace lh {

namespace {

// Upper bounds far above any real Llama, low enough that products of them (weight element
// counts, KV sizes) stay well inside int64 and size_t.
constexpr int64_t kMaxEmbd = 1 << 16;
constexpr int64_t kMaxLayers = 1 << 12;
constexpr int64_t kMaxHeads = 1 << 12;
constexpr int64_t kMaxFF = 1 << 20;
constexpr int64_t kMaxVocab = 1 << 24;
constexpr int64_t kMaxCtx = int64_t(1) << 30;

int32_t read_dim(const GgufFile &f, const std::string &key, int64_t fallback, int64_t max) {
    const int64_t v = fallback < 0 ? f.require_int(key) : f.get_int(key, fallback);
    require(v > 0, LH_ERROR_BAD_FORMAT, "metadata key '" + key + "' is " + std::to_string(v) + ", must be > 0");
    require(v <= max, LH_ERROR_BAD_FORMAT,
            "metadata key '" + key + "' is " + std::to_string(v) + ", more than the supported " + std::to_string(max));
    return static_cast<int32_t>(v);
}

void check(bool ok, const std::string &what) { require(ok, LH_ERROR_BAD_FORMAT, what); }

}  // namespace

HParams HParams::from_gguf(const GgufFile &f) {
    HParams hp;
    hp.architecture = f.get_string("general.architecture", "");
    require(!hp.architecture.empty(), LH_ERROR_BAD_FORMAT, "missing metadata key 'general.architecture'");
    require(hp.architecture == "llama", LH_ERROR_UNSUPPORTED,
            "unsupported architecture '" + hp.architecture + "' (only 'llama' is supported)");

    hp.n_ctx_train = read_dim(f, "llama.context_length", -1, kMaxCtx);
    hp.n_embd = read_dim(f, "llama.embedding_length", -1, kMaxEmbd);
    hp.n_layer = read_dim(f, "llama.block_count", -1, kMaxLayers);
    hp.n_ff = read_dim(f, "llama.feed_forward_length", -1, kMaxFF);
    hp.n_head = read_dim(f, "llama.attention.head_count", -1, kMaxHeads);
    hp.n_head_kv = read_dim(f, "llama.attention.head_count_kv", hp.n_head, kMaxHeads);
    const bool has_key_length = f.find("llama.attention.key_length") != nullptr;
    if (!has_key_length) {
        check(hp.n_embd % hp.n_head == 0, "metadata key 'llama.embedding_length' (" + std::to_string(hp.n_embd) +
                                              ") is not a multiple of 'llama.attention.head_count' (" +
                                              std::to_string(hp.n_head) + ")");
    }
    hp.head_dim = read_dim(f, "llama.attention.key_length", hp.n_embd / hp.n_head, kMaxEmbd);
    const int32_t value_length = read_dim(f, "llama.attention.value_length", hp.head_dim, kMaxEmbd);
    require(value_length == hp.head_dim, LH_ERROR_UNSUPPORTED,
            "metadata key 'llama.attention.value_length' (" + std::to_string(value_length) +
                ") differs from the key length (" + std::to_string(hp.head_dim) + "), which this library cannot run");
    hp.n_rot = read_dim(f, "llama.rope.dimension_count", hp.head_dim, kMaxEmbd);
    hp.rope_freq_base = static_cast<float>(f.get_float("llama.rope.freq_base", 10000.0));
    hp.rms_norm_eps = static_cast<float>(f.get_float("llama.attention.layer_norm_rms_epsilon", 1e-5));

    // RoPE scaling changes every rotation; running without it would be silently wrong.
    const std::string scaling = f.get_string("llama.rope.scaling.type", "none");
    const double factor = f.get_float("llama.rope.scaling.factor", 1.0);
    require(scaling == "none" || factor == 1.0 || factor == 0.0, LH_ERROR_UNSUPPORTED,
            "metadata key 'llama.rope.scaling.type' is '" + scaling + "' (factor " + std::to_string(factor) +
                "): RoPE scaling is not supported");
    require(f.find_tensor("rope_freqs.weight") == nullptr, LH_ERROR_UNSUPPORTED,
            "tensor 'rope_freqs.weight' (Llama 3.1 RoPE frequency scaling) is not supported");

    // Vocabulary size: the tokenizer's token list, else the embedding table's rows.
    if (const GgufValue *tokens = f.find("tokenizer.ggml.tokens")) {
        const uint64_t n = tokens->array_length();
        check(n > 0 && n <= static_cast<uint64_t>(kMaxVocab),
              "metadata key 'tokenizer.ggml.tokens' has " + std::to_string(n) + " entries");
        hp.n_vocab = static_cast<int32_t>(n);
    } else if (const GgufTensorInfo *embd = f.find_tensor("token_embd.weight")) {
        check(embd->n_dims == 2 && embd->dims[1] > 0 && embd->dims[1] <= kMaxVocab,
              "tensor 'token_embd.weight' does not give a vocabulary size");
        hp.n_vocab = static_cast<int32_t>(embd->dims[1]);
    } else {
        fail(LH_ERROR_BAD_FORMAT, "missing metadata key 'tokenizer.ggml.tokens' and tensor 'token_embd.weight'");
    }
    hp.validate();
    return hp;
}

void HParams::validate() const {
    auto positive = [](int64_t v, int64_t max, const char *key) {
        check(v > 0 && v <= max, std::string("metadata key '") + key + "' is " + std::to_string(v) +
                                     (v > 0 ? ", more than the supported " + std::to_string(max) : ", must be > 0"));
    };
    positive(n_ctx_train, kMaxCtx, "llama.context_length");
    positive(n_embd, kMaxEmbd, "llama.embedding_length");
    positive(n_layer, kMaxLayers, "llama.block_count");
    positive(n_ff, kMaxFF, "llama.feed_forward_length");
    positive(n_head, kMaxHeads, "llama.attention.head_count");
    positive(n_head_kv, kMaxHeads, "llama.attention.head_count_kv");
    positive(head_dim, kMaxEmbd, "llama.attention.key_length");
    positive(n_rot, kMaxEmbd, "llama.rope.dimension_count");
    positive(n_vocab, kMaxVocab, "tokenizer.ggml.tokens");
    check(n_head % n_head_kv == 0, "metadata key 'llama.attention.head_count' (" + std::to_string(n_head) +
                                       ") is not a multiple of 'llama.attention.head_count_kv' (" +
                                       std::to_string(n_head_kv) + ")");
    check(q_dim() <= 4 * kMaxEmbd, "metadata keys 'llama.attention.head_count' x 'llama.attention.key_length' = " +
                                       std::to_string(q_dim()) + " is too large");
    check(n_rot % 2 == 0 && n_rot <= head_dim, "metadata key 'llama.rope.dimension_count' (" + std::to_string(n_rot) +
                                                   ") must be even and at most the head dimension (" +
                                                   std::to_string(head_dim) + ")");
    check(std::isfinite(rope_freq_base) && rope_freq_base > 0.0f,
          "metadata key 'llama.rope.freq_base' is " + std::to_string(rope_freq_base) + ", must be > 0");
    check(std::isfinite(rms_norm_eps) && rms_norm_eps >= 0.0f && rms_norm_eps < 1.0f,
          "metadata key 'llama.attention.layer_norm_rms_epsilon' is " + std::to_string(rms_norm_eps) +
              ", must be in [0, 1)");
}

}  // namespace lh
