// Non-finite numbers (issue 14, item 7), through the public C API on small llamas built in
// memory (tests/unit/gguf_builder.h) and written to files:
//   - a NaN or infinity in a weight loads by default, and with check_tensors = 1 is refused with
//     LH_ERROR_BAD_FORMAT naming the tensor (F32, F16 and Q8_0 weights, a NaN block scale);
//   - a model whose logits come out NaN makes lh_context_eval and lh_generate fail with
//     LH_ERROR_NUMERIC and a message, and leaves the context reset and usable;
//   - a clean model loads with check_tensors = 1 and evaluates as without it.
//
//   non_finite_test DIR
// Prints "N passed, M failed"; exit status 1 on any failure.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "../unit/gguf_builder.h"
#include "longheads/longheads.h"

namespace {

int g_passed = 0, g_failed = 0;

void expect(bool ok, const std::string &what) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    }
}

std::string status_text(lh_status s) { return std::string(lh_status_string(s)) + ": " + lh_last_error(); }

std::string write(const std::string &dir, const std::string &name, const lh_test::GgufBuilder &b) {
    const std::vector<uint8_t> bytes = b.build();
    const std::string path = dir + "/" + name + ".gguf";
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

lh_status load(const std::string &path, int check_tensors, lh_model **out) {
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.n_threads = 1;
    mp.check_tensors = check_tensors;
    *out = nullptr;
    return lh_model_load(path.c_str(), &mp, out);
}

lh_context *context(lh_model *m) {
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_threads = 1;
    cp.n_ctx = 64;
    lh_context *ctx = nullptr;
    lh_status s = lh_context_create(m, &cp, &ctx);
    expect(s == LH_OK, "context: " + status_text(s));
    return ctx;
}

// Q8_0 bytes of rows x cols small values whose block `bad_block` has a NaN scale.
std::vector<uint8_t> q8_0_with_nan_scale(int64_t cols, int64_t rows, int64_t bad_block) {
    std::vector<uint8_t> out;
    for (int64_t blk = 0; blk < cols * rows / 32; ++blk) {
        const uint16_t d = blk == bad_block ? 0x7E00 : lh::float_to_half(0.01f);  // 0x7E00: f16 NaN
        out.push_back(uint8_t(d & 0xff));
        out.push_back(uint8_t(d >> 8));
        for (int j = 0; j < 32; ++j) out.push_back(static_cast<uint8_t>(static_cast<int8_t>((blk + j) % 11 - 5)));
    }
    return out;
}

// A weight with one bad value: loads without the check, refused naming the tensor with it.
void bad_weight(const std::string &dir, const std::string &name, lh::TensorType type, const std::string &tensor,
                int64_t cols, int64_t rows, float bad) {
    lh_test::TinyLlama shape;
    shape.matrix_type = type;
    lh_test::GgufBuilder b = lh_test::tiny_llama(shape);
    if (type == lh::TensorType::Q8_0) {
        b.tensor(tensor, uint32_t(type), {cols, rows}, q8_0_with_nan_scale(cols, rows, 5));
    } else {
        std::vector<float> v = lh_test::random_values(size_t(cols * rows), 7, 0.1f);
        v[37] = bad;
        b.tensor_as(tensor, type, {cols, rows}, v);
    }
    const std::string path = write(dir, name, b);
    lh_model *m = nullptr;
    lh_status s = load(path, 0, &m);
    expect(s == LH_OK, name + ": loads without check_tensors: " + status_text(s));
    lh_model_free(m);
    s = load(path, 1, &m);
    const std::string msg = lh_last_error();
    expect(s == LH_ERROR_BAD_FORMAT && m == nullptr, name + ": check_tensors: want LH_ERROR_BAD_FORMAT, got " +
                                                         status_text(s));
    expect(msg.find("'" + tensor + "'") != std::string::npos && msg.find("non-finite") != std::string::npos,
           name + ": the message names the tensor: " + msg);
    lh_model_free(m);
}

// NaN output weights: every logit is NaN.
void nan_logits(const std::string &dir) {
    lh_test::TinyLlama shape;
    lh_test::GgufBuilder b = lh_test::tiny_llama(shape);
    std::vector<float> nan(static_cast<size_t>(shape.n_embd * shape.n_vocab), std::numeric_limits<float>::quiet_NaN());
    b.tensor_f32("output.weight", {shape.n_embd, shape.n_vocab}, nan);
    const std::string path = write(dir, "nan_output", b);
    lh_model *m = nullptr;
    lh_status s = load(path, 0, &m);
    expect(s == LH_OK, "nan_output: loads without check_tensors: " + status_text(s));
    if (!m) return;
    lh_context *ctx = context(m);
    if (!ctx) return;
    const int32_t toks[4] = {1, 5, 6, 7};
    s = lh_context_eval(ctx, toks, 4, 0);
    const std::string msg = lh_last_error();
    expect(s == LH_ERROR_NUMERIC, "nan_output: eval: want LH_ERROR_NUMERIC, got " + status_text(s));
    expect(msg.find("non-finite") != std::string::npos, "nan_output: eval message: " + msg);
    int32_t n_past = -1;
    lh_context_n_past(ctx, &n_past);
    expect(n_past == 0, "nan_output: the context was reset (n_past " + std::to_string(n_past) + ")");
    const float *logits = nullptr;
    expect(lh_context_logits(ctx, -1, &logits) == LH_ERROR_INVALID_ARGUMENT, "nan_output: no logits after it");
    s = lh_context_eval(ctx, toks, 4, 1);
    expect(s == LH_ERROR_NUMERIC, "nan_output: eval with all logits: " + status_text(s));

    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = 4;
    char buf[64];
    size_t len = 0;
    s = lh_generate(ctx, "t3 t4", 5, &gp, nullptr, nullptr, buf, sizeof buf, &len);
    expect(s == LH_ERROR_NUMERIC, "nan_output: lh_generate: want LH_ERROR_NUMERIC, got " + status_text(s));
    lh_context_free(ctx);

    lh_model *checked = nullptr;
    s = load(path, 1, &checked);
    expect(s == LH_ERROR_BAD_FORMAT && std::string(lh_last_error()).find("'output.weight'") != std::string::npos,
           "nan_output: check_tensors names output.weight: " + status_text(s));
    lh_model_free(checked);
    lh_model_free(m);
}

// A clean model: the check passes and changes nothing.
void clean(const std::string &dir) {
    const std::string path = write(dir, "clean", lh_test::tiny_llama());
    lh_model *plain = nullptr, *checked = nullptr;
    expect(load(path, 0, &plain) == LH_OK, "clean: load");
    lh_status s = load(path, 1, &checked);
    expect(s == LH_OK, "clean: load with check_tensors: " + status_text(s));
    if (!plain || !checked) return;
    lh_context *a = context(plain), *b = context(checked);
    const int32_t toks[4] = {1, 5, 6, 7};
    expect(lh_context_eval(a, toks, 4, 0) == LH_OK && lh_context_eval(b, toks, 4, 0) == LH_OK, "clean: eval");
    const float *la = nullptr, *lb = nullptr;
    lh_context_logits(a, -1, &la);
    lh_context_logits(b, -1, &lb);
    expect(la && lb && std::memcmp(la, lb, 64 * sizeof(float)) == 0, "clean: same logits with and without the check");
    lh_context_free(a);
    lh_context_free(b);
    lh_model_free(plain);
    lh_model_free(checked);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: non_finite_test DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    bad_weight(dir, "nan_attn_q_f32", lh::TensorType::F32, "blk.0.attn_q.weight", 32, 32, nan);
    bad_weight(dir, "inf_ffn_up_f16", lh::TensorType::F16, "blk.1.ffn_up.weight", 32, 64, inf);
    bad_weight(dir, "nan_scale_q8_0", lh::TensorType::Q8_0, "blk.1.attn_output.weight", 32, 32, nan);
    nan_logits(dir);
    clean(dir);
    std::printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
