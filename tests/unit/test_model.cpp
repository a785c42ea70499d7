// Model loading: hyper-parameters of the shared models, weight conversion, tied output, and
// every malformed model refused with a message naming the key or tensor.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/isa.h"
#include "gguf/gguf_file.h"
#include "numeric/tensor_types.h"
#include "gguf_builder.h"
#include "model/model.h"
#include "ops/qblocks.h"
#include "ops/qpacked.h"
#include "qblock_rows.h"
#include "tokenizer/vocab.h"

using namespace lh;
using lh_test::GgufBuilder;
using lh_test::TinyLlama;
using lh_test::tiny_llama;

namespace {

const std::string kModels = std::string(LH_SHARED_DIR) + "/models/";

std::unique_ptr<Model> load_builder(const GgufBuilder &b, lh_precision p = LH_PRECISION_F32) {
    ModelOptions o;
    o.precision = p;
    o.n_threads = 2;
    return Model::from_file(b.open(), o);
}

// Status and message of the lh::Error that loading throws (LH_OK, "" if it loads).
std::pair<lh_status, std::string> load_error(const GgufBuilder &b) {
    try {
        load_builder(b);
    } catch (const Error &e) {
        return {e.status(), e.what()};
    }
    return {LH_OK, ""};
}

// An edit to a loadable model, and the status and message parts loading it must give.
struct Refusal {
    const char *what;
    std::function<void(GgufBuilder &)> edit;
    lh_status status;
    std::vector<std::string> needles;
};

// Applies each edit to a fresh model of `shape` and checks what loading it reports.
void check_refusals(const TinyLlama &shape, const std::vector<Refusal> &cases) {
    for (const Refusal &c : cases) {
        GgufBuilder b = tiny_llama(shape);
        c.edit(b);
        const auto err = load_error(b);
        INFO(c.what << ": " << err.second);
        CHECK(err.first == c.status);
        for (const std::string &needle : c.needles) CHECK(err.second.find(needle) != std::string::npos);
    }
}

float weight_at(const WeightMatrix &w, int64_t row, int64_t col) {
    const size_t i = size_t(row * w.cols + col);
    switch (w.type) {
        case WeightType::F32: return static_cast<const float *>(w.data)[i];
        case WeightType::BF16: return bf16_to_float(static_cast<const uint16_t *>(w.data)[i]);
        case WeightType::U8_BLOCKS: {
            const int64_t nb = w.cols / 32;
            uint8_t e[32];
            const uint8_t *r = static_cast<const uint8_t *>(w.data) + row * qblocks::row_bytes_for(w.cols, w.block_bits);
            qblocks::unpack_block(r, col / 32, nb, w.block_bits, e);
            const size_t b = size_t(row * nb + col / 32);
            return std::fma(w.block_scale[b], float(e[col % 32]), w.block_offset[b]);
        }
        case WeightType::PACKED: {
            const qpacked::PackedView v = w.packed_view();
            std::vector<float> values(static_cast<size_t>(w.cols));
            qpacked::unpack_row(v.format, v.quants_of(row), v.meta_of(row), w.cols, values.data());
            return values[size_t(col)];
        }
    }
    return NAN;
}

}  // namespace

TEST_CASE("stories260K loads with the hyper-parameters of its README", "[model]") {
    for (const char *file : {"stories260K.gguf", "stories260K-gguf-v1.gguf"}) {
        INFO(file);
        const auto m = Model::load(kModels + file, ModelOptions());
        const HParams &hp = m->hparams();
        CHECK(hp.architecture == "llama");
        CHECK(hp.n_layer == 5);
        CHECK(hp.n_embd == 64);
        CHECK(hp.n_head == 8);
        CHECK(hp.n_head_kv == 4);
        CHECK(hp.head_dim == 8);
        CHECK(hp.n_rot == 8);
        CHECK(hp.n_ff == 172);
        CHECK(hp.n_vocab == 512);
        CHECK(hp.n_ctx_train == 512);
        CHECK(hp.rope_freq_base == 10000.0f);
        CHECK(hp.rms_norm_eps == Approx(1e-5f));
        CHECK(m->vocab().size() == 512);
        CHECK_FALSE(m->output_tied());
        CHECK(m->precision() == LH_PRECISION_F32);
        CHECK(m->layer(0).wq.type == WeightType::F32);
        CHECK(m->layer(4).w_down.rows == 64);
        CHECK(m->layer(4).w_down.cols == 172);
        CHECK(m->layer(0).wk.rows == 32);
        CHECK(m->output().rows == 512);
        // All f32: every tensor is used in place from the file.
        uint64_t tensor_bytes = 0, elems = 0;
        for (const auto &t : m->file().tensors()) tensor_bytes += t.n_bytes, elems += t.n_elements;
        CHECK(m->weight_bytes() == tensor_bytes);
        CHECK(m->n_params() == elems);
    }
}

TEST_CASE("llama-2-tiny-random (F16) loads and converts its weights", "[model]") {
    const auto m = Model::load(kModels + "llama-2-tiny-random.gguf", ModelOptions());
    const HParams &hp = m->hparams();
    CHECK(hp.n_layer == 1);
    CHECK(hp.n_embd == 8);
    CHECK(hp.n_head == 2);
    CHECK(hp.n_head_kv == 2);
    CHECK(hp.head_dim == 4);
    CHECK(hp.n_ff == 32);
    CHECK(hp.n_vocab == 32000);
    CHECK(hp.n_ctx_train == 4096);
    // The F16 file's q projection, expanded to f32, holds exactly the half values.
    const GgufTensorInfo *q = m->file().find_tensor("blk.0.attn_q.weight");
    REQUIRE(q != nullptr);
    CHECK(q->type == uint32_t(TensorType::F16));
    const uint16_t *half = reinterpret_cast<const uint16_t *>(m->file().tensor_data(*q));
    for (int64_t r = 0; r < 8; ++r)
        for (int64_t c = 0; c < 8; ++c) CHECK(weight_at(m->layer(0).wq, r, c) == half_to_float(half[r * 8 + c]));

    ModelOptions bf;
    bf.precision = LH_PRECISION_BF16;
    const auto mb = Model::load(kModels + "llama-2-tiny-random.gguf", bf);
    CHECK(mb->layer(0).wq.type == WeightType::BF16);
    CHECK(mb->output().type == WeightType::BF16);
    CHECK(mb->weight_bytes() < m->weight_bytes());
}

TEST_CASE("the output head is tied to the embeddings when output.weight is absent", "[model]") {
    TinyLlama c;
    c.tied_output = true;
    const auto m = load_builder(tiny_llama(c));
    CHECK(m->output_tied());
    const WeightMatrix &out = m->output();
    CHECK(out.rows == c.n_vocab);
    CHECK(out.cols == c.n_embd);
    std::vector<float> row(size_t(c.n_embd));
    for (int32_t tok : {0, 5, c.n_vocab - 1}) {
        m->embed(&tok, 1, row.data());
        for (int64_t j = 0; j < c.n_embd; ++j) CHECK(weight_at(out, tok, j) == row[size_t(j)]);
    }
}

TEST_CASE("half weights expand, quantized ones stay quantized in bf16 mode, all with their dequantized values",
          "[model]") {
    for (TensorType t : {TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0}) {
        for (lh_precision p : {LH_PRECISION_F32, LH_PRECISION_BF16}) {
            TinyLlama c;
            c.matrix_type = t;
            const GgufBuilder b = tiny_llama(c);
            const auto m = load_builder(b, p);
            INFO("type " << tensor_type_name(uint32_t(t)) << ", precision " << p);
            const GgufTensorInfo *info = m->file().find_tensor("blk.1.ffn_down.weight");
            REQUIRE(info != nullptr);
            const WeightMatrix &w = m->layer(1).w_down;
            // In bf16 mode q8_0 and q4_0 are kept packed, whose values are exactly ggml's (no bf16 rounding).
            const bool kept = p == LH_PRECISION_BF16 && (t == TensorType::Q8_0 || t == TensorType::Q4_0);
            CHECK(w.type == (p == LH_PRECISION_F32 ? WeightType::F32 : kept ? WeightType::PACKED : WeightType::BF16));
            std::vector<float> row(size_t(c.n_ff));
            const size_t row_bytes = tensor_row_bytes(t, c.n_ff);
            for (int64_t r = 0; r < c.n_embd; ++r) {
                dequantize_row(t, m->file().tensor_data(*info) + r * row_bytes, row.data(), c.n_ff);
                for (int64_t j = 0; j < c.n_ff; ++j) {
                    const float expect = p == LH_PRECISION_F32 || kept ? row[size_t(j)] : bf16_to_float(float_to_bf16(row[size_t(j)]));
                    REQUIRE(weight_at(w, r, j) == expect);
                }
            }
        }
    }
}

TEST_CASE("iq4_nl, iq4_xs, q2_K and q3_K matrices stay packed in bf16 mode from AVX2 on, with their "
          "dequantized values",
          "[model]") {
    // Without AVX2 (LONGHEADS_CPU=generic) they are expanded to bf16: their decode kernel loses there.
    const bool kept = cpu::active_isa() >= cpu::Isa::Avx2;
    for (TensorType t : {TensorType::IQ4_NL, TensorType::IQ4_XS, TensorType::Q2_K, TensorType::Q3_K}) {
        TinyLlama c;
        c.n_ff = 256;  // IQ4_XS, Q2_K and Q3_K rows are whole blocks of 256
        GgufBuilder b = tiny_llama(c);
        const std::vector<uint8_t> bytes = test_rows::random_rows(t, c.n_embd, c.n_ff, 3);
        b.tensor("blk.1.ffn_down.weight", uint32_t(t), {c.n_ff, c.n_embd}, bytes);
        for (lh_precision p : {LH_PRECISION_F32, LH_PRECISION_BF16}) {
            INFO("type " << tensor_type_name(uint32_t(t)) << ", precision " << p);
            const auto m = load_builder(b, p);
            const WeightMatrix &w = m->layer(1).w_down;
            const bool exact = p == LH_PRECISION_F32 || kept;
            CHECK(w.type == (p == LH_PRECISION_F32 ? WeightType::F32 : kept ? WeightType::PACKED : WeightType::BF16));
            std::vector<float> row(size_t(c.n_ff));
            const size_t row_bytes = tensor_row_bytes(t, c.n_ff);
            for (int64_t r = 0; r < c.n_embd; ++r) {
                dequantize_row(t, bytes.data() + r * row_bytes, row.data(), c.n_ff);
                for (int64_t j = 0; j < c.n_ff; ++j) {
                    const float v = row[size_t(j)];
                    REQUIRE(weight_at(w, r, j) == (exact ? v : bf16_to_float(float_to_bf16(v))));
                }
            }
        }
    }
}

TEST_CASE("hyper-parameter defaults apply when optional keys are absent", "[model]") {
    GgufBuilder b = tiny_llama();
    b.remove("llama.attention.head_count_kv")
        .remove("llama.rope.dimension_count")
        .remove("llama.attention.layer_norm_rms_epsilon")
        .u32("llama.attention.head_count", 4);
    // Without head_count_kv, K/V have all heads.
    const int64_t d = 32;
    for (int i = 0; i < 2; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        b.tensor_f32(p + "attn_k.weight", {d, d}, lh_test::random_values(size_t(d * d), 9, 0.1f));
        b.tensor_f32(p + "attn_v.weight", {d, d}, lh_test::random_values(size_t(d * d), 10, 0.1f));
    }
    const auto m = load_builder(b);
    const HParams &hp = m->hparams();
    CHECK(hp.n_head_kv == 4);
    CHECK(hp.head_dim == 8);
    CHECK(hp.n_rot == 8);
    CHECK(hp.rms_norm_eps == Approx(1e-5f));
    CHECK(hp.rope_freq_base == 10000.0f);
    CHECK(hp.n_vocab == 64);
}

TEST_CASE("bad models are refused with a message naming what is wrong", "[model]") {
    check_refusals(TinyLlama(), {
        {"architecture", [](GgufBuilder &b) { b.str("general.architecture", "gpt2"); }, LH_ERROR_UNSUPPORTED,
         {"unsupported architecture 'gpt2'"}},
        {"no architecture", [](GgufBuilder &b) { b.remove("general.architecture"); }, LH_ERROR_BAD_FORMAT,
         {"general.architecture"}},
        {"missing key", [](GgufBuilder &b) { b.remove("llama.block_count"); }, LH_ERROR_BAD_FORMAT,
         {"llama.block_count"}},
        {"zero layers", [](GgufBuilder &b) { b.u32("llama.block_count", 0); }, LH_ERROR_BAD_FORMAT,
         {"llama.block_count", "> 0"}},
        {"huge embedding", [](GgufBuilder &b) { b.u64("llama.embedding_length", uint64_t(1) << 40); },
         LH_ERROR_BAD_FORMAT, {"llama.embedding_length"}},
        {"negative ff", [](GgufBuilder &b) { b.i32("llama.feed_forward_length", -5); }, LH_ERROR_BAD_FORMAT,
         {"llama.feed_forward_length", "-5"}},
        {"GQA groups", [](GgufBuilder &b) { b.u32("llama.attention.head_count_kv", 3); }, LH_ERROR_BAD_FORMAT,
         {"llama.attention.head_count_kv"}},
        {"heads do not divide d", [](GgufBuilder &b) { b.u32("llama.attention.head_count", 5); }, LH_ERROR_BAD_FORMAT,
         {"llama.embedding_length", "llama.attention.head_count"}},
        {"odd rope dims", [](GgufBuilder &b) { b.u32("llama.rope.dimension_count", 7); }, LH_ERROR_BAD_FORMAT,
         {"llama.rope.dimension_count"}},
        {"rope dims > head", [](GgufBuilder &b) { b.u32("llama.rope.dimension_count", 16); }, LH_ERROR_BAD_FORMAT,
         {"llama.rope.dimension_count"}},
        {"bad freq base", [](GgufBuilder &b) { b.f32("llama.rope.freq_base", -1.0f); }, LH_ERROR_BAD_FORMAT,
         {"llama.rope.freq_base"}},
        {"rope scaling", [](GgufBuilder &b) { b.str("llama.rope.scaling.type", "longrope").f32("llama.rope.scaling.factor", 4); },
         LH_ERROR_UNSUPPORTED, {"llama.rope.scaling.type"}},
        {"wrong key type", [](GgufBuilder &b) { b.str("llama.context_length", "many"); }, LH_ERROR_BAD_FORMAT,
         {"llama.context_length"}},
        {"missing tensor", [](GgufBuilder &b) { b.remove_tensor("blk.1.ffn_up.weight"); }, LH_ERROR_BAD_FORMAT,
         {"missing tensor 'blk.1.ffn_up.weight'"}},
        {"missing norm", [](GgufBuilder &b) { b.remove_tensor("output_norm.weight"); }, LH_ERROR_BAD_FORMAT,
         {"output_norm.weight"}},
        {"k shape",
         [](GgufBuilder &b) { b.tensor_f32("blk.0.attn_k.weight", {32, 32}, std::vector<float>(32 * 32)); },
         LH_ERROR_BAD_FORMAT, {"tensor 'blk.0.attn_k.weight' has shape [32, 32], expected [32, 16]"}},
        {"down transposed",
         [](GgufBuilder &b) { b.tensor_f32("blk.1.ffn_down.weight", {32, 64}, std::vector<float>(32 * 64)); },
         LH_ERROR_BAD_FORMAT, {"'blk.1.ffn_down.weight'", "[32, 64]", "expected [64, 32]"}},
        {"embedding vocab",
         [](GgufBuilder &b) { b.tensor_f32("token_embd.weight", {32, 60}, std::vector<float>(32 * 60)); },
         LH_ERROR_BAD_FORMAT, {"token_embd.weight", "expected [32, 64]"}},
        {"norm length", [](GgufBuilder &b) { b.tensor_f32("blk.0.ffn_norm.weight", {31}, std::vector<float>(31)); },
         LH_ERROR_BAD_FORMAT, {"blk.0.ffn_norm.weight", "[31]", "expected [32]"}},
        {"3-D matrix",
         [](GgufBuilder &b) { b.tensor_f32("blk.0.attn_q.weight", {32, 16, 2}, std::vector<float>(32 * 32)); },
         LH_ERROR_BAD_FORMAT, {"blk.0.attn_q.weight", "[32, 16, 2]"}},
        {"mixture of experts",
         [](GgufBuilder &b) { b.tensor_f32("blk.1.ffn_gate_inp.weight", {32, 8}, std::vector<float>(32 * 8)); },
         LH_ERROR_UNSUPPORTED, {"mixture-of-experts", "blk.1.ffn_gate_inp.weight"}},
        {"unused tensor",  // llama.cpp would add this bias; leaving it out would change the results
         [](GgufBuilder &b) { b.tensor_f32("blk.0.attn_output.bias", {32}, std::vector<float>(32, 0.5f)); },
         LH_ERROR_UNSUPPORTED, {"tensor 'blk.0.attn_output.bias' is not part of", "'llama'"}},
        {"unsupported type",
         [](GgufBuilder &b) { b.tensor("blk.0.attn_q.weight", 16 /* iq2_xxs */, {256, 32}, std::vector<uint8_t>(66 * 32)); },
         LH_ERROR_UNSUPPORTED, {"tensor 'blk.0.attn_q.weight' has type iq2_xxs, which this library cannot read"}},
    });
}

TEST_CASE("a smollm3 model: llama's layout, adjacent-pair RoPE, every fourth layer without RoPE", "[model]") {
    lh_test::TinyLlama c;
    c.smollm3 = true;
    c.n_layer = 8;
    const auto m = Model::from_file(tiny_llama(c).open(), ModelOptions());
    CHECK(m->hparams().architecture == "smollm3");
    CHECK_FALSE(m->hparams().rope_neox);
    CHECK(m->hparams().no_rope_layer_step == 4);
    CHECK(Model::from_file(tiny_llama().open(), ModelOptions())->hparams().no_rope_layer_step == 0);  // llama: none
}

TEST_CASE("a mistral3 model reads YaRN's betas and log multiplier and its query temperature", "[model]") {
    lh_test::TinyLlama c;
    c.mistral3 = true;
    GgufBuilder b = tiny_llama(c);
    b.str("mistral3.rope.scaling.type", "yarn").f32("mistral3.rope.scaling.factor", 16.0f)
        .u32("mistral3.rope.scaling.original_context_length", 16).f32("mistral3.rope.scaling.yarn_beta_fast", 8.0f)
        .f32("mistral3.rope.scaling.yarn_beta_slow", 0.5f).f32("mistral3.rope.scaling.yarn_log_multiplier", 1.0f)
        .f32("mistral3.attention.temperature_scale", 0.1f);
    const auto m = Model::from_file(b.open(), ModelOptions());
    const HParams &hp = m->hparams();
    CHECK_FALSE(hp.rope_neox);
    CHECK(hp.yarn_beta_fast == 8.0f);
    CHECK(hp.yarn_beta_slow == 0.5f);
    CHECK(hp.n_ctx_orig == 16);
    // A log multiplier equal to the implicit mscale of 1 cancels YaRN's magnitude: llama.cpp's factors
    // (1 + 0.1 ln 16) / (1 + 0.1 ln 16), then 1 / (1 + 0.1 ln 16) and ggml's 1 + 0.1 ln 16.
    CHECK(hp.rope_magnitude() == Approx(1.0f).epsilon(1e-6));
    // The temperature steps up once per original window: 1 below it, 1 + 0.1 ln 2 from it on.
    CHECK(hp.query_temperature(0) == 1.0f);
    CHECK(hp.query_temperature(15) == 1.0f);
    CHECK(hp.query_temperature(16) == Approx(1.0 + 0.1 * std::log(2.0)));
    CHECK(hp.query_temperature(47) == Approx(1.0 + 0.1 * std::log(3.0)));
    // Another architecture with the same keys is not held to them.
    GgufBuilder llama = tiny_llama();
    llama.f32("llama.attention.temperature_scale", 0.1f);
    CHECK(Model::from_file(llama.open(), ModelOptions())->hparams().query_temperature(1000) == 1.0f);
    check_refusals(c, {
        {"negative temperature", [](GgufBuilder &g) { g.f32("mistral3.attention.temperature_scale", -1.0f); },
         LH_ERROR_BAD_FORMAT, {"mistral3.attention.temperature_scale"}},
        {"zero beta", [](GgufBuilder &g) { g.f32("mistral3.rope.scaling.yarn_beta_fast", 0.0f); }, LH_ERROR_BAD_FORMAT,
         {"mistral3.rope.scaling.yarn_beta_fast"}},
    });
}

TEST_CASE("a qwen3 model loads its per-head norms, and is refused without them", "[model]") {
    lh_test::TinyLlama c;
    c.qwen3 = true;
    const auto m = Model::from_file(tiny_llama(c).open(), ModelOptions());
    CHECK(m->hparams().architecture == "qwen3");
    CHECK(m->hparams().rope_neox);
    for (int32_t il = 0; il < c.n_layer; ++il) {
        CHECK(m->layer(il).q_norm != nullptr);
        CHECK(m->layer(il).k_norm != nullptr);
    }
    CHECK(Model::from_file(tiny_llama().open(), ModelOptions())->layer(0).q_norm == nullptr);  // llama: none
    for (const char *name : {"blk.1.attn_q_norm.weight", "blk.0.attn_k_norm.weight"}) {
        GgufBuilder b = tiny_llama(c);
        b.remove_tensor(name);
        const auto err = load_error(b);
        CHECK(err.first == LH_ERROR_BAD_FORMAT);
        CHECK(err.second.find(std::string("missing tensor '") + name + "'") != std::string::npos);
    }
    GgufBuilder wrong = tiny_llama(c);
    wrong.tensor_f32("blk.0.attn_k_norm.weight", {16}, std::vector<float>(16, 1.0f));  // head_dim is 8
    const auto err = load_error(wrong);
    CHECK(err.first == LH_ERROR_BAD_FORMAT);
    CHECK(err.second.find("blk.0.attn_k_norm.weight") != std::string::npos);
}

TEST_CASE("a phi3 LongRoPE model loads both factor sets and picks them by context size as llama.cpp does",
          "[model][rope]") {
    TinyLlama shape;
    shape.phi3 = true;
    shape.longrope_orig = 256;
    const std::unique_ptr<Model> m = load_builder(tiny_llama(shape));
    const HParams &hp = m->hparams();
    REQUIRE(hp.rope_factors_long.size() == 4);
    REQUIRE(hp.rope_factors_short.size() == 4);
    CHECK(hp.rope_factors_long[1] == 5.0f);
    CHECK(hp.rope_factors_short[1] == Approx(1.1f));
    CHECK(hp.rope_attn_factor == Approx(1.1f));
    CHECK(hp.n_ctx_orig == 256);
    CHECK(&hp.rope_factors_for(128) == &hp.rope_factors_short);
    CHECK(&hp.rope_factors_for(256) == &hp.rope_factors_short);
    CHECK(&hp.rope_factors_for(257) == &hp.rope_factors_long);
    HParams odd = hp;
    odd.n_ctx_orig = 300;  // llama.cpp compares the context rounded up to a multiple of 256
    CHECK(&odd.rope_factors_for(290) == &odd.rope_factors_long);
    CHECK(&odd.rope_factors_for(256) == &odd.rope_factors_short);

    check_refusals(shape, {
        {"zero factor", [](GgufBuilder &b) { b.tensor_f32("rope_factors_long.weight", {4}, {1, 0, 2, 3}); },
         LH_ERROR_BAD_FORMAT, {"'rope_factors_long.weight' holds 0"}},
        {"short factors of another length",
         [](GgufBuilder &b) { b.tensor_f32("rope_factors_short.weight", {3}, {1, 1, 1}); }, LH_ERROR_BAD_FORMAT,
         {"rope_factors_short.weight"}},
        {"attention factor", [](GgufBuilder &b) { b.f32("phi3.rope.scaling.attn_factor", -1.0f); },
         LH_ERROR_BAD_FORMAT, {"phi3.rope.scaling.attn_factor"}},
    });
    // llama.cpp reads the factors for phi3 only: in a llama file they are tensors nothing reads.
    GgufBuilder llama = tiny_llama();
    llama.tensor_f32("rope_factors_long.weight", {4}, {1, 2, 3, 4});
    const auto err = load_error(llama);
    CHECK(err.first == LH_ERROR_UNSUPPORTED);
    CHECK(err.second.find("rope_factors_long.weight") != std::string::npos);
}

TEST_CASE("a granite model reads its four multipliers; a missing or bad one is refused by name", "[model]") {
    TinyLlama shape;
    shape.granite = true;
    const std::unique_ptr<Model> m = load_builder(tiny_llama(shape));
    const HParams &hp = m->hparams();
    CHECK(hp.embedding_scale == 12.0f);
    CHECK(hp.residual_scale == 0.22f);
    CHECK(hp.attention_scale == 0.0156f);
    CHECK(hp.logit_scale == 8.0f);
    CHECK_FALSE(hp.rope_neox);
    check_refusals(shape, {
        {"no logit scale", [](GgufBuilder &b) { b.remove("granite.logit_scale"); }, LH_ERROR_BAD_FORMAT,
         {"missing metadata key 'granite.logit_scale'"}},
        {"zero logit scale", [](GgufBuilder &b) { b.f32("granite.logit_scale", 0.0f); }, LH_ERROR_BAD_FORMAT,
         {"granite.logit_scale"}},
        {"negative residual scale", [](GgufBuilder &b) { b.f32("granite.residual_scale", -1.0f); },
         LH_ERROR_BAD_FORMAT, {"granite.residual_scale"}},
        {"no RoPE", [](GgufBuilder &b) { b.boolean("granite.rope.scaling.finetuned", false); }, LH_ERROR_UNSUPPORTED,
         {"granite.rope.scaling.finetuned"}},
        {"partial rotary", [](GgufBuilder &b) { b.u32("granite.rope.dimension_count", 4); }, LH_ERROR_UNSUPPORTED,
         {"granite.rope.dimension_count"}},
    });
}

TEST_CASE("YaRN scaling is read with its original window and llama.cpp's magnitude factor", "[model][rope]") {
    GgufBuilder b = tiny_llama();
    b.str("llama.rope.scaling.type", "yarn").f32("llama.rope.scaling.factor", 4.0f)
        .u32("llama.rope.scaling.original_context_length", 32);
    const std::unique_ptr<Model> m = load_builder(b);
    const HParams &hp = m->hparams();
    CHECK(hp.rope_yarn);
    CHECK(hp.rope_freq_scale == 0.25f);
    CHECK(hp.n_ctx_orig == 32);
    CHECK(hp.rope_magnitude() == Approx(1.0f + 0.1f * std::log(4.0f)).epsilon(1e-6));
    // linear scaling has no magnitude factor, and a file without the key keeps its trained window
    GgufBuilder lin = tiny_llama();
    lin.str("llama.rope.scaling.type", "linear").f32("llama.rope.scaling.factor", 4.0f);
    const std::unique_ptr<Model> ml = load_builder(lin);
    CHECK_FALSE(ml->hparams().rope_yarn);
    CHECK(ml->hparams().rope_magnitude() == 1.0f);
    CHECK(ml->hparams().n_ctx_orig == ml->hparams().n_ctx_train);
}

TEST_CASE("model options are validated", "[model]") {
    for (int32_t threads : {-1, 1025}) {
        ModelOptions o;
        o.n_threads = threads;
        try {
            Model::from_file(tiny_llama().open(), o);
            FAIL("loaded with n_threads " << threads);
        } catch (const Error &e) {
            CHECK(e.status() == LH_ERROR_INVALID_ARGUMENT);
            CHECK(std::string(e.what()).find("n_threads") != std::string::npos);
        }
    }
}

TEST_CASE("a missing model file is an IO error", "[model]") {
    try {
        Model::load(kModels + "no-such-model.gguf", ModelOptions());
        FAIL("loaded a missing file");
    } catch (const Error &e) {
        CHECK(e.status() == LH_ERROR_IO);
    }
}

TEST_CASE("the test GGUF builder writes every metadata type the reader understands", "[model][gguf_builder]") {
    for (uint32_t version : {1u, 2u, 3u}) {
        GgufBuilder b(version);
        b.u8("a.u8", 200).i8("a.i8", -100).u16("a.u16", 60000).i16("a.i16", -30000).u32("a.u32", 4000000000u)
            .i32("a.i32", -2000000000).f32("a.f32", 1.5f).boolean("a.bool", true).u64("a.u64", 1ull << 40)
            .i64("a.i64", -(1ll << 40)).f64("a.f64", 0.125).str("a.str", "héllo")
            .str_array("a.strs", {"x", "", "yz"}).f32_array("a.f32s", {1, 2}).i32_array("a.i32s", {-1, 7})
            .alignment(64)
            .tensor_f32("t.a", {3}, {1, 2, 3})
            .tensor_as("t.b", TensorType::F16, {2, 2}, {0.5f, -1, 2, 4});
        b.u32("a.u32", 7);  // replacing keeps one entry
        const auto f = b.open();
        CHECK(f->version() == version);
        CHECK(f->metadata().size() == 16);
        CHECK(f->get_int("a.u8", 0) == 200);
        CHECK(f->get_int("a.i8", 0) == -100);
        CHECK(f->get_int("a.u16", 0) == 60000);
        CHECK(f->get_int("a.i16", 0) == -30000);
        CHECK(f->get_int("a.u32", 0) == 7);
        CHECK(f->get_int("a.i32", 0) == -2000000000);
        CHECK(f->get_float("a.f32", 0) == 1.5);
        CHECK(f->get_bool("a.bool", false));
        CHECK(f->get_int("a.u64", 0) == (1ll << 40));
        CHECK(f->get_int("a.i64", 0) == -(1ll << 40));
        CHECK(f->get_float("a.f64", 0) == 0.125);
        CHECK(f->get_string("a.str") == "héllo");
        CHECK(f->find("a.strs")->strings() == std::vector<std::string>{"x", "", "yz"});
        CHECK(f->find("a.f32s")->real_at(0) == 1);
        CHECK(f->find("a.f32s")->real_at(1) == 2);
        CHECK(f->find("a.i32s")->int_at(0) == -1);
        CHECK(f->find("a.i32s")->int_at(1) == 7);
        CHECK_THROWS_AS(f->find("a.i32s")->int_at(2), Error);
        CHECK_THROWS_AS(f->find("a.i32s")->real_at(0), Error);
        CHECK(f->alignment() == 64);
        const GgufTensorInfo *t = f->find_tensor("t.b");
        REQUIRE(t != nullptr);
        CHECK(t->type == uint32_t(TensorType::F16));
        CHECK((f->data_offset() + t->offset) % 64 == 0);
        float v[4];
        dequantize_row(TensorType::F16, f->tensor_data(*t), v, 4);
        CHECK(v[3] == 4.0f);
    }
}

TEST_CASE("without a tokenizer the vocabulary size comes from token_embd", "[model]") {
    GgufBuilder b = tiny_llama();
    b.remove("tokenizer.ggml.tokens");
    const auto f = b.open();
    const HParams hp = HParams::from_gguf(*f);
    CHECK(hp.n_vocab == 64);
    CHECK(hp.q_dim() == 32);
    CHECK(hp.kv_dim() == 16);
    // ... but a model needs its tokenizer.
    const auto err = load_error(b);
    CHECK(err.first == LH_ERROR_BAD_FORMAT);
    CHECK(err.second.find("tokenizer.ggml.tokens") != std::string::npos);
}
