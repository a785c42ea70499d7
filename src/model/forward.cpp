#include "model/forward.h"

#include <omp.h>

#include <algorithm>

#include "attention/attention.h"
#include "model/model.h"
#include "ops/matmul.h"
#include "ops/ops.h"

namespace lh {

namespace {

// Row-wise work below this many elements is not worth waking the OpenMP team for.
constexpr int64_t kParallelElems = 1 << 15;

// y[i] += b for each of n rows of `width` (no bias: nothing).
void add_bias(const float *b, float *y, int32_t n, int64_t width) {
    if (!b) return;
    for (int32_t i = 0; i < n; ++i) {
        float *row = y + i * width;
        for (int64_t j = 0; j < width; ++j) row[j] += b[j];
    }
}

}  // namespace

Forward::Forward(const Model &model, int32_t max_batch)
    : model_(model), max_batch_(max_batch), int8_layers_(int8_layers(model)) {}

void Forward::ensure_rows(int32_t n) {
    if (n <= rows_) return;
    const HParams &hp = model_.hparams();
    const size_t b = static_cast<size_t>(n);
    x_.resize(b * hp.n_embd);
    h_.resize(b * hp.n_embd);
    q_.resize(b * hp.q_dim());
    k_.resize(b * hp.kv_dim());
    v_.resize(b * hp.kv_dim());
    att_.resize(b * hp.q_dim());
    gate_.resize(b * hp.n_ff);
    up_.resize(b * hp.n_ff);
    rows_ = n;
}

uint64_t Forward::activation_bytes(const HParams &hp, int32_t max_batch) {
    const uint64_t per_token = 2ull * hp.n_embd + 2ull * hp.q_dim() + 2ull * hp.kv_dim() + 2ull * hp.n_ff;
    // The bf16 copy of the widest matmul input lives in the MatmulCache.
    const uint64_t widest = std::max<uint64_t>(std::max<uint64_t>(hp.n_embd, hp.n_ff), hp.q_dim());
    return static_cast<uint64_t>(max_batch) * (per_token * sizeof(float) + widest * sizeof(uint16_t));
}

void Forward::apply_query_temperature(float *q, int32_t n, int32_t pos0) const {
    const HParams &hp = model_.hparams();
    if (hp.attn_temp_scale == 0.0f) return;
    for (int32_t i = 0; i < n; ++i) {
        const float t = hp.query_temperature(std::min<int64_t>(pos0 + i, temperature_cap_));
        ops::scale(q + i * hp.q_dim(), t, hp.q_dim());
    }
}

bool Forward::run(const int32_t *tokens, int32_t n, int32_t pos0, int32_t first_logit, float *logits,
                  Attention &attn, MatmulCache &mm, const std::atomic<bool> *cancel) {
    ensure_rows(n);
    if (n == 1 && int8_layers_ && mm.n_threads() > 1)
        return run_one_token(tokens[0], pos0, first_logit == 0, logits, attn, mm, cancel);
    const HParams &hp = model_.hparams();
    const int64_t d = hp.n_embd;
    const int64_t ff = hp.n_ff;
    const float eps = hp.rms_norm_eps;
    float *x = x_.data();
    float *h = h_.data();
    const bool par = static_cast<int64_t>(n) * std::max<int64_t>(d, ff) >= kParallelElems;

    model_.embed(tokens, n, x);
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        // (The caller polls before each batch; layer 0 follows immediately.)
        if (il > 0 && cancel && cancel->load(std::memory_order_relaxed)) return false;
        const LayerWeights &L = model_.layer(il);

        // Attention block.
#pragma omp parallel for if (par) schedule(static)
        for (int32_t i = 0; i < n; ++i) ops::rms_norm(x + i * d, L.attn_norm, h + i * d, d, eps);
        {
            const WeightMatrix *ws[3] = {&L.wq, &L.wk, &L.wv};
            float *ys[3] = {q_.data(), k_.data(), v_.data()};
            mm.run_group(h, n, ws, ys, 3);
            add_bias(L.bq, q_.data(), n, hp.q_dim());
            add_bias(L.bk, k_.data(), n, hp.kv_dim());
            add_bias(L.bv, v_.data(), n, hp.kv_dim());
            if (L.q_norm) {  // qwen3: every query and key head, token by token as the norms above
#pragma omp parallel for if (par) schedule(static)
                for (int32_t i = 0; i < n; ++i) {
                    ops::rms_norm_rows(q_.data() + i * hp.q_dim(), L.q_norm, q_.data() + i * hp.q_dim(), hp.n_head,
                                       hp.head_dim, eps);
                    ops::rms_norm_rows(k_.data() + i * hp.kv_dim(), L.k_norm, k_.data() + i * hp.kv_dim(), hp.n_head_kv,
                                       hp.head_dim, eps);
                }
            }
        }
        apply_query_temperature(q_.data(), n, pos0);
        attn.forward(il, pos0, n, q_.data(), k_.data(), v_.data(), att_.data());
        mm.run(att_.data(), n, L.wo, h);
        ops::add_scaled(x, h, hp.residual_scale, static_cast<int64_t>(n) * d);

        // Feed-forward block (SwiGLU).
#pragma omp parallel for if (par) schedule(static)
        for (int32_t i = 0; i < n; ++i) ops::rms_norm(x + i * d, L.ffn_norm, h + i * d, d, eps);
        {
            const WeightMatrix *ws[2] = {&L.w_gate, &L.w_up};
            float *ys[2] = {gate_.data(), up_.data()};
            mm.run_group(h, n, ws, ys, 2);
        }
#pragma omp parallel for if (par) schedule(static)
        for (int32_t i = 0; i < n; ++i) ops::swiglu(gate_.data() + i * ff, up_.data() + i * ff, gate_.data() + i * ff, ff);
        mm.run(gate_.data(), n, L.w_down, h);
        ops::add_scaled(x, h, hp.residual_scale, static_cast<int64_t>(n) * d);
    }

    const int32_t rows = n - first_logit;
    if (rows > 0) {
        const float *src = x + static_cast<int64_t>(first_logit) * d;
        for (int32_t i = 0; i < rows; ++i) ops::rms_norm(src + i * d, model_.output_norm(), h + i * d, d, eps);
        mm.run(h, rows, model_.output(), logits);
        model_.scale_logits(logits, rows);
    }
    return true;
}

}  // namespace lh
