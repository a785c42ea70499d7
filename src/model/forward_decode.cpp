// The forward pass of one token (decoding) on a model whose layer matrices are all quantized.
//
// Decoding one token is a chain of small products, each a few hundred microseconds. Run one by
// one, each opens its own parallel region: about four per layer, each waking the team's sleeping
// workers (libgomp under OMP_WAIT_POLICY=PASSIVE), which cost a measurable share of the token
// (docs/BENCHMARKS.md). Here the whole token is one region. Inside it the threads meet at spin
// barriers; the element-wise steps (residual, norm, SwiGLU, quantizing the next input) run on
// thread 0 between them, and the threads claim blocks of rows from a shared counter
// (MatmulCache::dot_claim). Thread 0 also drives each layer's attention; the others join its
// per-head loops through a TeamWork instead of the TBB arena, whose workers would otherwise be
// woken twice per layer as well. Every product row and every attention item is computed as in
// Forward::run's path, so the results are the same bits.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>

#include "attention/attention.h"
#include "common/spin_barrier.h"
#include "common/team_work.h"
#include "model/forward.h"
#include "model/model.h"
#include "ops/matmul.h"
#include "ops/ops.h"

namespace lh {

bool Forward::int8_layers(const Model &model) {
    const HParams &hp = model.hparams();
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const LayerWeights &L = model.layer(il);
        const WeightMatrix *qkv[3] = {&L.wq, &L.wk, &L.wv};
        const WeightMatrix *gate_up[2] = {&L.w_gate, &L.w_up};
        const WeightMatrix *wo[1] = {&L.wo};
        const WeightMatrix *down[1] = {&L.w_down};
        if (!MatmulCache::int8_group(qkv, 3) || !MatmulCache::int8_group(gate_up, 2) ||
            !MatmulCache::int8_group(wo, 1) || !MatmulCache::int8_group(down, 1))
            return false;
    }
    return true;
}

bool Forward::run_one_token(int32_t token, int32_t pos, bool want_logits, float *logits, Attention &attn,
                            MatmulCache &mm, const std::atomic<bool> *cancel) {
    const HParams &hp = model_.hparams();
    const int64_t d = hp.n_embd;
    const float eps = hp.rms_norm_eps;
    float *x = x_.data();
    float *h = h_.data();
    float *q = q_.data(), *k = k_.data(), *v = v_.data();
    float *att = att_.data(), *gate = gate_.data(), *up = up_.data();
    mm.reserve_one_row(std::max<int64_t>(std::max<int64_t>(d, hp.n_ff), hp.q_dim()));
    SpinBarrier barrier;
    TeamWork team(barrier);
    std::atomic<int64_t> next_block{0};
    bool stop = false, cancelled = false;  // written by thread 0 before a barrier
    std::exception_ptr error;

    model_.embed(&token, 1, x);
    omp_set_num_threads(mm.n_threads());
#pragma omp parallel
    {
        const int part = omp_get_thread_num(), parts = omp_get_num_threads();
        const bool lead = part == 0;
        if (lead) team.set_parts(parts);  // before the first barrier
        auto product = [&](const float *in, const WeightMatrix *const *ws, float *const *ys, int count) {
            if (lead) {
                mm.quantize_one_row(in, ws, count);
                next_block.store(0, std::memory_order_relaxed);
            } else {
                // memory is idle while thread 0 prepares the input: fetch this thread's first rows
                MatmulCache::prefetch_first_claim(ws, count, part, parts);
            }
            barrier.arrive_and_wait(parts);
            mm.dot_claim(1, ws, ys, count, next_block, part, parts);
            barrier.arrive_and_wait(parts);
        };
        // Step il finishes layer il - 1 (from its attention output on) and starts layer il (up to
        // its Q/K/V); the attention of layer il follows it.
        for (int32_t il = 0; il <= hp.n_layer; ++il) {
            const LayerWeights *done = il > 0 ? &model_.layer(il - 1) : nullptr;
            const LayerWeights *next = il < hp.n_layer ? &model_.layer(il) : nullptr;
            if (done) {
                const WeightMatrix *wo[1] = {&done->wo};
                float *wo_out[1] = {h};
                product(att, wo, wo_out, 1);
                if (lead) {
                    ops::add_scaled(x, h, hp.residual_scale, d);
                    ops::rms_norm(x, done->ffn_norm, h, d, eps);
                }
                const WeightMatrix *gate_up[2] = {&done->w_gate, &done->w_up};
                float *gate_up_out[2] = {gate, up};
                product(h, gate_up, gate_up_out, 2);
                if (lead) ops::swiglu(gate, up, gate, hp.n_ff);
                const WeightMatrix *down[1] = {&done->w_down};
                float *down_out[1] = {h};
                product(gate, down, down_out, 1);
                if (lead) ops::add_scaled(x, h, hp.residual_scale, d);
            }
            if (!next) break;
            if (lead) ops::rms_norm(x, next->attn_norm, h, d, eps);
            const WeightMatrix *qkv[3] = {&next->wq, &next->wk, &next->wv};
            float *qkv_out[3] = {q, k, v};
            product(h, qkv, qkv_out, 3);
            // The attention: thread 0 drives it, the others join its loops (common/team_work.h).
            if (lead) {
                try {
                    if (next->bq) ops::add(q, next->bq, hp.q_dim());
                    if (next->bk) ops::add(k, next->bk, hp.kv_dim());
                    if (next->bv) ops::add(v, next->bv, hp.kv_dim());
                    if (next->q_norm) ops::rms_norm_rows(q, next->q_norm, q, hp.n_head, hp.head_dim, eps);
                    if (next->k_norm) ops::rms_norm_rows(k, next->k_norm, k, hp.n_head_kv, hp.head_dim, eps);
                    apply_query_temperature(q, 1, pos);
                    attn.forward(il, pos, 1, q, k, v, att, &team);
                    // (As in Forward::run: the caller polls before the batch, so layer 0 is not polled.)
                    if (il + 1 < hp.n_layer && cancel && cancel->load(std::memory_order_relaxed))
                        stop = cancelled = true;
                } catch (...) {
                    error = std::current_exception();
                    stop = true;
                }
                team.release();
            } else {
                team.serve(part);
            }
            if (stop) break;
        }
    }
    if (error) std::rethrow_exception(error);
    if (cancelled) return false;

    if (want_logits) {
        ops::rms_norm(x, model_.output_norm(), h, d, eps);
        mm.run(h, 1, model_.output(), logits);
        model_.scale_logits(logits, 1);
    }
    return true;
}

}  // namespace lh
