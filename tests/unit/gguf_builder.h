// Builds GGUF images in memory for tests: metadata of every value type, tensors of any type,
// dims and bytes, and a complete tiny random `llama` model to start from.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf_file.h"
#include "numeric/tensor_types.h"

namespace lh_test {

class GgufBuilder {
public:
    // version 1 writes 32-bit counts, 2 and 3 64-bit ones.
    explicit GgufBuilder(uint32_t version = 3) : version_(version) {}

    // ---- metadata (setting an existing key replaces it in place) ----
    GgufBuilder &u8(const std::string &k, uint8_t v) { return scalar(k, lh::GgufType::UINT8, v); }
    GgufBuilder &i8(const std::string &k, int8_t v) { return scalar(k, lh::GgufType::INT8, v); }
    GgufBuilder &u16(const std::string &k, uint16_t v) { return scalar(k, lh::GgufType::UINT16, v); }
    GgufBuilder &i16(const std::string &k, int16_t v) { return scalar(k, lh::GgufType::INT16, v); }
    GgufBuilder &u32(const std::string &k, uint32_t v) { return scalar(k, lh::GgufType::UINT32, v); }
    GgufBuilder &i32(const std::string &k, int32_t v) { return scalar(k, lh::GgufType::INT32, v); }
    GgufBuilder &f32(const std::string &k, float v) { return scalar(k, lh::GgufType::FLOAT32, v); }
    GgufBuilder &boolean(const std::string &k, bool v) { return scalar(k, lh::GgufType::BOOL, uint8_t(v ? 1 : 0)); }
    GgufBuilder &u64(const std::string &k, uint64_t v) { return scalar(k, lh::GgufType::UINT64, v); }
    GgufBuilder &i64(const std::string &k, int64_t v) { return scalar(k, lh::GgufType::INT64, v); }
    GgufBuilder &f64(const std::string &k, double v) { return scalar(k, lh::GgufType::FLOAT64, v); }
    GgufBuilder &str(const std::string &k, const std::string &v) {
        Bytes b;
        put(b, uint32_t(lh::GgufType::STRING));
        put_str(b, v);
        return set(k, std::move(b));
    }
    GgufBuilder &str_array(const std::string &k, const std::vector<std::string> &v) {
        Bytes b = array_head(lh::GgufType::STRING, v.size());
        for (const auto &s : v) put_str(b, s);
        return set(k, std::move(b));
    }
    template <typename T>
    GgufBuilder &array(const std::string &k, lh::GgufType elem, const std::vector<T> &v) {
        Bytes b = array_head(elem, v.size());
        for (const T &x : v) put(b, x);
        return set(k, std::move(b));
    }
    GgufBuilder &f32_array(const std::string &k, const std::vector<float> &v) {
        return array(k, lh::GgufType::FLOAT32, v);
    }
    GgufBuilder &i32_array(const std::string &k, const std::vector<int32_t> &v) {
        return array(k, lh::GgufType::INT32, v);
    }
    // general.alignment (u32) and the padding the writer uses.
    GgufBuilder &alignment(uint32_t a) {
        alignment_ = a;
        return u32("general.alignment", a);
    }
    GgufBuilder &remove(const std::string &k) {
        for (size_t i = 0; i < kv_.size(); ++i)
            if (kv_[i].first == k) kv_.erase(kv_.begin() + static_cast<long>(i));
        return *this;
    }

    // ---- tensors (dims fastest-varying first; adding an existing name replaces it) ----
    GgufBuilder &tensor(const std::string &name, uint32_t type, std::vector<int64_t> dims, std::vector<uint8_t> data) {
        for (auto &t : tensors_) {
            if (t.name == name) {
                t = Tensor{name, type, std::move(dims), std::move(data)};
                return *this;
            }
        }
        tensors_.push_back(Tensor{name, type, std::move(dims), std::move(data)});
        return *this;
    }
    GgufBuilder &tensor_f32(const std::string &name, std::vector<int64_t> dims, const std::vector<float> &v) {
        std::vector<uint8_t> b(v.size() * 4);
        std::memcpy(b.data(), v.data(), b.size());
        return tensor(name, uint32_t(lh::TensorType::F32), std::move(dims), std::move(b));
    }
    // Largest |value| of the 32-element block starting at i.
    static float block_amax(const std::vector<float> &v, size_t i) {
        float amax = 0;
        for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[i + j]));
        return amax;
    }
    // Values stored as `type` (F32, F16, BF16, Q8_0 or Q4_0; the quantized ones need dims[0] % 32 == 0).
    GgufBuilder &tensor_as(const std::string &name, lh::TensorType type, std::vector<int64_t> dims,
                           const std::vector<float> &v) {
        std::vector<uint8_t> b;
        if (type == lh::TensorType::F32) return tensor_f32(name, std::move(dims), v);
        if (type == lh::TensorType::F16 || type == lh::TensorType::BF16) {
            for (float x : v) {
                const uint16_t h = type == lh::TensorType::F16 ? lh::float_to_half(x) : lh::float_to_bf16(x);
                b.push_back(uint8_t(h & 0xff));
                b.push_back(uint8_t(h >> 8));
            }
        } else if (type == lh::TensorType::Q8_0) {
            for (size_t i = 0; i < v.size(); i += 32) {
                const float d = block_amax(v, i) / 127.0f;
                const uint16_t dh = lh::float_to_half(d);
                b.push_back(uint8_t(dh & 0xff));
                b.push_back(uint8_t(dh >> 8));
                for (size_t j = 0; j < 32; ++j) {
                    const float q = d == 0 ? 0.0f : std::round(v[i + j] / d);
                    b.push_back(static_cast<uint8_t>(static_cast<int8_t>(q)));
                }
            }
        } else if (type == lh::TensorType::Q4_0) {
            for (size_t i = 0; i < v.size(); i += 32) {
                const float d = block_amax(v, i) / 7.0f;
                const uint16_t dh = lh::float_to_half(d);
                b.push_back(uint8_t(dh & 0xff));
                b.push_back(uint8_t(dh >> 8));
                auto nib = [&](float x) { return uint8_t(std::min(15.0f, std::max(0.0f, (d == 0 ? 0.0f : std::round(x / d)) + 8))); };
                for (size_t j = 0; j < 16; ++j) b.push_back(uint8_t(nib(v[i + j]) | (nib(v[i + j + 16]) << 4)));
            }
        }
        return tensor(name, uint32_t(type), std::move(dims), std::move(b));
    }
    GgufBuilder &remove_tensor(const std::string &name) {
        for (size_t i = 0; i < tensors_.size(); ++i)
            if (tensors_[i].name == name) tensors_.erase(tensors_.begin() + static_cast<long>(i));
        return *this;
    }

    std::vector<uint8_t> build() const {
        Bytes out;
        put(out, uint32_t(0x46554747));
        put(out, version_);
        count(out, tensors_.size());
        count(out, kv_.size());
        for (const auto &kv : kv_) {
            put_str(out, kv.first);
            out.insert(out.end(), kv.second.begin(), kv.second.end());
        }
        uint64_t offset = 0;
        std::vector<uint64_t> offsets;
        for (const auto &t : tensors_) {
            put_str(out, t.name);
            put(out, uint32_t(t.dims.size()));
            for (int64_t d : t.dims) count(out, uint64_t(d));
            put(out, t.type);
            put(out, offset);
            offsets.push_back(offset);
            offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
        }
        while (out.size() % alignment_) out.push_back(0);
        const size_t base = out.size();
        for (size_t i = 0; i < tensors_.size(); ++i) {
            out.resize(base + offsets[i], 0);
            out.insert(out.end(), tensors_[i].data.begin(), tensors_[i].data.end());
        }
        return out;
    }

    std::unique_ptr<lh::GgufFile> open() const {
        const std::vector<uint8_t> b = build();
        return lh::GgufFile::from_bytes(b.data(), b.size());
    }

private:
    using Bytes = std::vector<uint8_t>;
    struct Tensor {
        std::string name;
        uint32_t type;
        std::vector<int64_t> dims;
        std::vector<uint8_t> data;
    };

    template <typename T>
    static void put(Bytes &b, T v) {
        const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
        b.insert(b.end(), p, p + sizeof v);
    }
    void count(Bytes &b, uint64_t n) const {
        if (version_ == 1) put(b, uint32_t(n));
        else put(b, n);
    }
    void put_str(Bytes &b, const std::string &s) const {
        count(b, s.size());
        b.insert(b.end(), s.begin(), s.end());
    }
    Bytes array_head(lh::GgufType elem, size_t n) const {
        Bytes b;
        put(b, uint32_t(lh::GgufType::ARRAY));
        put(b, uint32_t(elem));
        count(b, n);
        return b;
    }
    template <typename T>
    GgufBuilder &scalar(const std::string &k, lh::GgufType type, T v) {
        Bytes b;
        put(b, uint32_t(type));
        put(b, v);
        return set(k, std::move(b));
    }
    GgufBuilder &set(const std::string &k, Bytes b) {
        for (auto &kv : kv_) {
            if (kv.first == k) {
                kv.second = std::move(b);
                return *this;
            }
        }
        kv_.emplace_back(k, std::move(b));
        return *this;
    }

    uint32_t version_;
    uint64_t alignment_ = 32;
    std::vector<std::pair<std::string, Bytes>> kv_;
    std::vector<Tensor> tensors_;
};

// Shape of a random tiny llama model.
struct TinyLlama {
    int32_t n_embd = 32;
    int32_t n_layer = 2;
    int32_t n_head = 4;
    int32_t n_head_kv = 2;
    int32_t n_ff = 64;
    int32_t n_vocab = 64;
    int32_t n_ctx = 128;
    bool tied_output = false;
    bool qwen3 = false;  // architecture qwen3: per-head Q/K norm weights (and NEOX RoPE)
    bool phi3 = false;   // architecture phi3: fused attn_qkv and ffn_up (gate rows, then up rows)
    bool granite = false;  // architecture granite: llama's tensors plus its four multipliers
    bool smollm3 = false;  // architecture smollm3: llama's tensors, every fourth layer without RoPE
    bool mistral3 = false;  // architecture mistral3: llama's tensors (keys of its own added by the test)
    int32_t longrope_orig = 0;  // phi3: LongRoPE factors and keys with this original window (0: none)
    lh::TensorType matrix_type = lh::TensorType::F32;  // F32, F16, BF16, Q8_0 or Q4_0
    uint32_t seed = 1;
};

// Deterministic values in [-scale, scale].
inline std::vector<float> random_values(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float &x : v) x = dist(rng);
    return v;
}

// A complete `llama` (or `qwen3`, `phi3`) model: metadata, a SentencePiece vocabulary ("<unk>", "<s>",
// "</s>", then "▁t3", "▁t4", ...) and random weights.
inline GgufBuilder tiny_llama(const TinyLlama &c = TinyLlama()) {
    GgufBuilder b;
    const std::string arch = c.qwen3     ? "qwen3"
                             : c.phi3    ? "phi3"
                             : c.granite ? "granite"
                             : c.smollm3 ? "smollm3"
                             : c.mistral3 ? "mistral3"
                                         : "llama",
                      a = arch + ".";
    b.str("general.architecture", arch)
        .str("general.name", "tiny test llama")
        .u32(a + "context_length", uint32_t(c.n_ctx))
        .u32(a + "embedding_length", uint32_t(c.n_embd))
        .u32(a + "block_count", uint32_t(c.n_layer))
        .u32(a + "feed_forward_length", uint32_t(c.n_ff))
        .u32(a + "attention.head_count", uint32_t(c.n_head))
        .u32(a + "attention.head_count_kv", uint32_t(c.n_head_kv))
        .u32(a + "rope.dimension_count", uint32_t(c.n_embd / c.n_head))
        .f32(a + "attention.layer_norm_rms_epsilon", 1e-5f)
        .str("tokenizer.ggml.model", "llama");
    if (c.granite)
        b.f32(a + "embedding_scale", 12.0f).f32(a + "residual_scale", 0.22f).f32(a + "attention.scale", 0.0156f)
            .f32(a + "logit_scale", 8.0f);
    if (c.longrope_orig > 0)
        b.u32(a + "rope.scaling.original_context_length", uint32_t(c.longrope_orig))
            .f32(a + "rope.scaling.attn_factor", 1.1f);
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    std::vector<float> scores{0, 0, 0};
    std::vector<int32_t> types{2, 3, 3};
    for (int32_t i = 3; i < c.n_vocab; ++i) {
        tokens.push_back("\xe2\x96\x81t" + std::to_string(i));
        scores.push_back(-float(i));
        types.push_back(1);
    }
    b.str_array("tokenizer.ggml.tokens", tokens)
        .f32_array("tokenizer.ggml.scores", scores)
        .i32_array("tokenizer.ggml.token_type", types)
        .u32("tokenizer.ggml.bos_token_id", 1)
        .u32("tokenizer.ggml.eos_token_id", 2);

    const int64_t d = c.n_embd, hd = c.n_embd / c.n_head, kv = hd * c.n_head_kv, ff = c.n_ff, V = c.n_vocab;
    uint32_t seed = c.seed;
    auto mat = [&](const std::string &name, int64_t cols, int64_t rows) {
        b.tensor_as(name, c.matrix_type, {cols, rows},
                    random_values(size_t(cols * rows), seed++, 1.0f / std::sqrt(float(cols))));
    };
    auto norm = [&](const std::string &name, int64_t n) {
        std::vector<float> v = random_values(size_t(n), seed++, 0.2f);
        for (float &x : v) x += 1.0f;
        b.tensor_f32(name, {n}, v);
    };
    b.tensor_f32("token_embd.weight", {d, V}, random_values(size_t(d * V), seed++, 1.0f));
    if (c.longrope_orig > 0) {
        std::vector<float> long_f(size_t(hd / 2)), short_f(size_t(hd / 2));
        for (size_t i = 0; i < long_f.size(); ++i) {
            long_f[i] = 1.0f + 4.0f * float(i);
            short_f[i] = 1.0f + 0.1f * float(i);
        }
        b.tensor_f32("rope_factors_long.weight", {hd / 2}, long_f);
        b.tensor_f32("rope_factors_short.weight", {hd / 2}, short_f);
    }
    for (int32_t i = 0; i < c.n_layer; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        norm(p + "attn_norm.weight", d);
        if (c.phi3) {
            mat(p + "attn_qkv.weight", d, d + 2 * kv);
        } else {
            mat(p + "attn_q.weight", d, d);
            mat(p + "attn_k.weight", d, kv);
            mat(p + "attn_v.weight", d, kv);
        }
        if (c.qwen3) {
            norm(p + "attn_q_norm.weight", hd);
            norm(p + "attn_k_norm.weight", hd);
        }
        mat(p + "attn_output.weight", d, d);
        norm(p + "ffn_norm.weight", d);
        if (c.phi3) {
            mat(p + "ffn_up.weight", d, 2 * ff);
        } else {
            mat(p + "ffn_gate.weight", d, ff);
            mat(p + "ffn_up.weight", d, ff);
        }
        mat(p + "ffn_down.weight", ff, d);
    }
    norm("output_norm.weight", d);
    if (!c.tied_output) mat("output.weight", d, V);
    return b;
}

}  // namespace lh_test
