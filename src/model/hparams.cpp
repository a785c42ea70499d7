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

// RoPE scaling changes every rotation; running without it would be silently wrong, so what we do
// not implement is refused. Llama-3.1's scaling comes as the rope_freqs tensor (model loading).
// YaRN takes llama.cpp's defaults for these architectures (beta_fast 32, beta_slow 1; it reads the
// yarn_* keys for other architectures only).
void read_rope_scaling(const GgufFile &f, const std::string &a, HParams &hp) {
    const std::string type = f.get_string(a + "rope.scaling.type", "none");
    const double factor = f.get_float(a + "rope.scaling.factor", 1.0);
    if (type == "none" || factor == 1.0 || factor == 0.0) return;
    require(type == "linear" || type == "yarn", LH_ERROR_UNSUPPORTED,
            "metadata key '" + a + "rope.scaling.type' is '" + type + "' (factor " + std::to_string(factor) +
                "): only 'linear' and 'yarn' RoPE scaling are supported");
    hp.rope_yarn = type == "yarn";
    require(std::isfinite(factor) && factor > 0.0, LH_ERROR_BAD_FORMAT,
            "metadata key '" + a + "rope.scaling.factor' is " + std::to_string(factor) + ", must be > 0");
    hp.rope_freq_scale = static_cast<float>(1.0 / factor);
}

// Granite's four multipliers; its rope switch (rope.scaling.finetuned, default true) turned off
// would mean no RoPE at all, which is refused.
void read_granite_scales(const GgufFile &f, const std::string &a, HParams &hp) {
    require(f.find(a + "logit_scale") != nullptr, LH_ERROR_BAD_FORMAT, "missing metadata key '" + a + "logit_scale'");
    hp.logit_scale = static_cast<float>(f.get_float(a + "logit_scale", 1.0));
    hp.residual_scale = static_cast<float>(f.get_float(a + "residual_scale", 0.0));
    hp.embedding_scale = static_cast<float>(f.get_float(a + "embedding_scale", 0.0));
    hp.attention_scale = static_cast<float>(f.get_float(a + "attention.scale", 0.0));
    require(f.get_bool(a + "rope.scaling.finetuned", true), LH_ERROR_UNSUPPORTED,
            "metadata key '" + a + "rope.scaling.finetuned' is false: a granite model without RoPE is not supported");
    require(hp.n_rot == hp.head_dim, LH_ERROR_UNSUPPORTED,
            "metadata key '" + a + "rope.dimension_count' (" + std::to_string(hp.n_rot) +
                ") differs from the head dimension, which llama.cpp's granite does not run");
}

// The tokenizer's token list, else the embedding table's rows.
int32_t read_vocab_size(const GgufFile &f) {
    if (const GgufValue *tokens = f.find("tokenizer.ggml.tokens")) {
        const uint64_t n = tokens->array_length();
        check(n > 0 && n <= static_cast<uint64_t>(kMaxVocab),
              "metadata key 'tokenizer.ggml.tokens' has " + std::to_string(n) + " entries");
        return static_cast<int32_t>(n);
    }
    if (const GgufTensorInfo *embd = f.find_tensor("token_embd.weight")) {
        check(embd->n_dims == 2 && embd->dims[1] > 0 && embd->dims[1] <= kMaxVocab,
              "tensor 'token_embd.weight' does not give a vocabulary size");
        return static_cast<int32_t>(embd->dims[1]);
    }
    fail(LH_ERROR_BAD_FORMAT, "missing metadata key 'tokenizer.ggml.tokens' and tensor 'token_embd.weight'");
}

}  // namespace

HParams HParams::from_gguf(const GgufFile &f) {
    HParams hp;
    hp.architecture = f.get_string("general.architecture", "");
    require(!hp.architecture.empty(), LH_ERROR_BAD_FORMAT, "missing metadata key 'general.architecture'");
    static const char *const kArchitectures[] = {"llama",   "qwen2",    "qwen3",  "phi3",    "granite",
                                                 "smollm3", "ernie4_5", "exaone", "mistral3"};
    // llama.cpp's rope type per arch: adjacent pairs (ggml's "normal" rope) for these, NEOX for the others.
    static const char *const kAdjacentPairs[] = {"llama", "granite", "smollm3", "ernie4_5", "mistral3"};
    auto listed = [&](const auto &names) {
        for (const char *n : names)
            if (hp.architecture == n) return true;
        return false;
    };
    if (!listed(kArchitectures)) {
        std::string supported;
        for (const char *n : kArchitectures) supported += std::string(supported.empty() ? "'" : ", '") + n + "'";
        fail(LH_ERROR_UNSUPPORTED, "unsupported architecture '" + hp.architecture + "' (supported: " + supported + ")");
    }
    const std::string a = hp.architecture + ".";
    hp.rope_neox = !listed(kAdjacentPairs);
    if (hp.architecture == "smollm3") hp.no_rope_layer_step = 4;

    hp.n_ctx_train = read_dim(f, a + "context_length", -1, kMaxCtx);
    hp.n_embd = read_dim(f, a + "embedding_length", -1, kMaxEmbd);
    hp.n_layer = read_dim(f, a + "block_count", -1, kMaxLayers);
    hp.n_ff = read_dim(f, a + "feed_forward_length", -1, kMaxFF);
    hp.n_head = read_dim(f, a + "attention.head_count", -1, kMaxHeads);
    hp.n_head_kv = read_dim(f, a + "attention.head_count_kv", hp.n_head, kMaxHeads);
    if (f.find(a + "attention.key_length") == nullptr) {
        check(hp.n_embd % hp.n_head == 0, "metadata key '" + a + "embedding_length' (" + std::to_string(hp.n_embd) +
                                              ") is not a multiple of '" + a + "attention.head_count' (" +
                                              std::to_string(hp.n_head) + ")");
    }
    hp.head_dim = read_dim(f, a + "attention.key_length", hp.n_embd / hp.n_head, kMaxEmbd);
    const int32_t value_length = read_dim(f, a + "attention.value_length", hp.head_dim, kMaxEmbd);
    require(value_length == hp.head_dim, LH_ERROR_UNSUPPORTED,
            "metadata key '" + a + "attention.value_length' (" + std::to_string(value_length) +
                ") differs from the key length (" + std::to_string(hp.head_dim) + "), which this library cannot run");
    hp.n_rot = read_dim(f, a + "rope.dimension_count", hp.head_dim, kMaxEmbd);
    hp.rope_freq_base = static_cast<float>(f.get_float(a + "rope.freq_base", 10000.0));
    hp.rms_norm_eps = static_cast<float>(f.get_float(a + "attention.layer_norm_rms_epsilon", 1e-5));
    read_rope_scaling(f, a, hp);
    hp.rope_attn_factor = static_cast<float>(f.get_float(a + "rope.scaling.attn_factor", 1.0));
    const bool mistral3 = hp.architecture == "mistral3";
    if (mistral3) {  // llama.cpp reads these for mistral3 (not for llama, qwen2, qwen3)
        hp.yarn_beta_fast = static_cast<float>(f.get_float(a + "rope.scaling.yarn_beta_fast", 32.0));
        hp.yarn_beta_slow = static_cast<float>(f.get_float(a + "rope.scaling.yarn_beta_slow", 1.0));
        hp.yarn_log_mul = static_cast<float>(f.get_float(a + "rope.scaling.yarn_log_multiplier", 0.0));
        hp.attn_temp_scale = static_cast<float>(f.get_float(a + "attention.temperature_scale", 0.0));
    }
    // Only LongRoPE (phi3), YaRN and the query temperature use the original window: other files are
    // not held to its value.
    hp.n_ctx_orig = hp.architecture == "phi3" || hp.rope_yarn || hp.attn_temp_scale != 0.0f
                        ? read_dim(f, a + "rope.scaling.original_context_length", hp.n_ctx_train, kMaxCtx)
                        : hp.n_ctx_train;
    hp.n_vocab = read_vocab_size(f);
    if (hp.architecture == "granite") read_granite_scales(f, a, hp);
    hp.validate();
    return hp;
}

void HParams::validate() const {
    const std::string a = (architecture.empty() ? std::string("llama") : architecture) + ".";
    auto positive = [](int64_t v, int64_t max, const std::string &key) {
        check(v > 0 && v <= max, "metadata key '" + key + "' is " + std::to_string(v) +
                                     (v > 0 ? ", more than the supported " + std::to_string(max) : ", must be > 0"));
    };
    positive(n_ctx_train, kMaxCtx, a + "context_length");
    positive(n_embd, kMaxEmbd, a + "embedding_length");
    positive(n_layer, kMaxLayers, a + "block_count");
    positive(n_ff, kMaxFF, a + "feed_forward_length");
    positive(n_head, kMaxHeads, a + "attention.head_count");
    positive(n_head_kv, kMaxHeads, a + "attention.head_count_kv");
    positive(head_dim, kMaxEmbd, a + "attention.key_length");
    positive(n_rot, kMaxEmbd, a + "rope.dimension_count");
    positive(n_vocab, kMaxVocab, "tokenizer.ggml.tokens");
    check(n_head % n_head_kv == 0, "metadata key '" + a + "attention.head_count' (" + std::to_string(n_head) +
                                       ") is not a multiple of '" + a + "attention.head_count_kv' (" +
                                       std::to_string(n_head_kv) + ")");
    check(q_dim() <= 4 * kMaxEmbd, "metadata keys '" + a + "attention.head_count' x '" + a + "attention.key_length' = " +
                                       std::to_string(q_dim()) + " is too large");
    check(n_rot % 2 == 0 && n_rot <= head_dim, "metadata key '" + a + "rope.dimension_count' (" + std::to_string(n_rot) +
                                                   ") must be even and at most the head dimension (" +
                                                   std::to_string(head_dim) + ")");
    check(std::isfinite(rope_freq_scale) && rope_freq_scale > 0.0f, "RoPE scaling factor must be > 0");
    check(no_rope_layer_step >= 0, "the NoPE layer step must be >= 0");
    for (const auto &[value, key] : {std::pair<float, const char *>{embedding_scale, "embedding_scale"},
                                     {residual_scale, "residual_scale"},
                                     {attention_scale, "attention.scale"}})
        check(std::isfinite(value) && value >= 0.0f,
              "metadata key '" + a + key + "' is " + std::to_string(value) + ", must be >= 0");
    check(std::isfinite(logit_scale) && logit_scale > 0.0f,
          "metadata key '" + a + "logit_scale' is " + std::to_string(logit_scale) + ", must be > 0");
    check(std::isfinite(rope_attn_factor) && rope_attn_factor > 0.0f,
          "metadata key '" + a + "rope.scaling.attn_factor' is " + std::to_string(rope_attn_factor) + ", must be > 0");
    check(std::isfinite(rope_freq_base) && rope_freq_base > 0.0f,
          "metadata key '" + a + "rope.freq_base' is " + std::to_string(rope_freq_base) + ", must be > 0");
    for (const auto &[value, key] : {std::pair<float, const char *>{yarn_beta_fast, "rope.scaling.yarn_beta_fast"},
                                     {yarn_beta_slow, "rope.scaling.yarn_beta_slow"}})
        check(std::isfinite(value) && value > 0.0f,
              "metadata key '" + a + key + "' is " + std::to_string(value) + ", must be > 0");
    for (const auto &[value, key] : {std::pair<float, const char *>{yarn_log_mul, "rope.scaling.yarn_log_multiplier"},
                                     {attn_temp_scale, "attention.temperature_scale"}})
        check(std::isfinite(value) && value >= 0.0f,
              "metadata key '" + a + key + "' is " + std::to_string(value) + ", must be >= 0");
    check(std::isfinite(rms_norm_eps) && rms_norm_eps >= 0.0f && rms_norm_eps < 1.0f,
          "metadata key '" + a + "attention.layer_norm_rms_epsilon' is " + std::to_string(rms_norm_eps) +
              ", must be in [0, 1)");
}

float HParams::query_temperature(int64_t pos) const {
    if (attn_temp_scale == 0.0f) return 1.0f;
    // llama.cpp's arithmetic: the position as a float divided by the window in float, the rest in double.
    const float steps = std::floor(static_cast<float>(pos) / static_cast<float>(n_ctx_orig));
    return static_cast<float>(std::log(steps + 1.0) * attn_temp_scale + 1.0);
}

float HParams::rope_magnitude() const {
    if (!rope_yarn) return rope_attn_factor;
    // llama.cpp's arithmetic, in float: the context's yarn_attn_factor (get_mscale(factor) times its
    // cancelling 1 / (1 + 0.1 ln factor)), times the file's attn_factor, times ggml_rope's own
    // 1 + 0.1 ln(1 / freq_scale). With a log multiplier L the first factor is
    // get_mscale(factor, 1) / get_mscale(factor, L).
    const float factor = 1.0f / rope_freq_scale;
    auto get_mscale = [factor](float mscale) {
        return factor <= 1.0f ? 1.0f : 0.1f * mscale * std::log(factor) + 1.0f;
    };
    float m = yarn_log_mul != 0.0f ? get_mscale(1.0f) / get_mscale(yarn_log_mul) : get_mscale(1.0f);
    m *= 1.0f / (1.0f + 0.1f * std::log(factor));
    m *= rope_attn_factor;
    return m * (1.0f + 0.1f * std::log(1.0f / rope_freq_scale));
}

const std::vector<float> &HParams::rope_factors_for(int64_t n_ctx) const {
    if (!rope_freq_factors.empty()) return rope_freq_factors;
    const int64_t padded = (n_ctx + 255) / 256 * 256;
    return padded > n_ctx_orig ? rope_factors_long : rope_factors_short;
}

}  // namespace lh
