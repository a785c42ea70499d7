// Threading model
// ---------------
// Everything a context runs happens on the thread that calls eval(), with two helpers:
// - oneDNN matmuls run on OpenMP (Debian builds oneDNN with libgomp). The team size is a
//   per-thread setting, so MatmulCache sets omp_set_num_threads(n_threads) on the calling thread
//   before every product; the row-wise kernels of the forward pass (RMSNorm, SwiGLU) use the
//   same OpenMP team, never a second pool.
// - Attention runs in this context's own tbb::task_arena(n_threads), which the Attention module
//   enters itself. oneDNN is never called from inside a TBB task, and TBB work never starts
//   while an OpenMP region is running: the two pools take turns, layer by layer.
// - One exception, decoding a quantized model on several threads (model/forward_decode.cpp):
//   the token is one OpenMP region of our own kernels (no oneDNN), and its attention's loops run
//   on that region's team (common/team_work.h), so neither pool is put to sleep and woken per
//   layer. The TBB arena is not entered then.
//
// Spin-waiting. libgomp spins (300,000 rounds) after every parallel region unless told
// otherwise, and it reads OMP_WAIT_POLICY / GOMP_SPINCOUNT only in its load-time constructor, so
// a library cannot change it (a .preinit_array hook in the executable does not help either:
// glibc resets the environment after it). Measured on 2 cores shared with other jobs (load ~7),
// stories260K in F32, 2 threads, 256-token prefill then 256 single-token decodes, tok/s:
//     default policy            307 prefill     119 decode
//     GOMP_SPINCOUNT=100000     533              52
//     GOMP_SPINCOUNT=10000    6,243           1,023
//     GOMP_SPINCOUNT=1000     8,419           1,258
//     OMP_WAIT_POLICY=PASSIVE 14,059           2,992
// and in isolation (2048x2048 f32 product, then a fixed loop in a 2-thread TBB arena): the TBB
// loop takes 1.83 ms right after the product vs 0.81 ms once OpenMP has gone to sleep with the
// default policy, 0.94 vs 0.61 ms with PASSIVE. Running the attention serially (no TBB) still
// decoded at only 150 tok/s with the default policy: the spinning team hurts everything on a
// busy machine, TBB included. Hence executables and bindings should set OMP_WAIT_POLICY=PASSIVE
// before libgomp loads (unless the user chose a policy: the CLI by re-executing itself, Python
// through os.environ before importing the module), and the docs should tell C hosts to export it.
#include "runtime/context.h"

#include <omp.h>

#include <algorithm>
#include <new>
#include <string>
#include <thread>

#include "attention/attention.h"
#include "common/enum_names.h"
#include "common/error.h"
#include "common/finite.h"
#include "common/process_limits.h"
#include "common/threads.h"
#include "model/forward.h"
#include "model/model.h"
#include "ops/matmul.h"

namespace lh {

namespace {

constexpr int32_t kMaxCtx = 1 << 24;     // 16M tokens
// n_ctx 0 in the modes that read past the trained window: this many times T (the product's
// promise), lowered to what the memory budget allows. The KV cache is reserved, not touched:
// pages are used only as tokens arrive.
constexpr int64_t kDefaultLongFactor = 32;
constexpr int32_t kMaxThreads = 1024;
constexpr int32_t kDefaultBatch = 512;
// Larger batches gain nothing in speed and cost activation memory in proportion (about 200 KB
// per token for a 7B model): n_batch above this is lowered to it.
constexpr int32_t kMaxBatch = 4096;

[[noreturn]] void invalid(const std::string &message) { fail(LH_ERROR_INVALID_ARGUMENT, message); }

int32_t floor_pow2(int32_t v) {
    int32_t p = 1;
    while (p <= v / 2) p *= 2;
    return p;
}

std::string str(int64_t v) { return std::to_string(v); }

// Memory the process may use: the physical memory, or the address space it may map (RLIMIT_AS)
// if less; 0 if unknown.
uint64_t memory_limit() {
    const uint64_t physical = physical_memory(), address_space = address_space_limit();
    if (address_space == UINT64_MAX) return physical;
    return physical == 0 ? address_space : std::min(physical, address_space);
}

}  // namespace

int32_t default_long_n_ctx(const HParams &hp, const ContextOptions &resolved) {
    const int64_t T = hp.n_ctx_train;
    // Half of it: the rest stays for the weights, activations, scratch and logits.
    const uint64_t budget = (resolved.memory_budget_bytes ? resolved.memory_budget_bytes : memory_limit()) / 2;
    AttentionConfig cfg = attention_config(hp, resolved);
    auto fits = [&](int64_t n) {
        cfg.n_ctx = static_cast<int32_t>(n);
        return budget == 0 || Attention::estimate_bytes(cfg, n) <= budget;
    };
    int64_t lo = T, hi = std::min<int64_t>(kDefaultLongFactor * T, kMaxCtx);
    if (fits(hi)) return static_cast<int32_t>(hi);
    if (!fits(lo)) return static_cast<int32_t>(lo);  // even T is over: lh_context_create says so
    while (hi - lo > 1) {  // largest n in [T, hi) that fits
        const int64_t mid = lo + (hi - lo) / 2;
        (fits(mid) ? lo : hi) = mid;
    }
    return static_cast<int32_t>(lo);
}

int32_t default_local_chunks(lh_chunk_score score, int32_t k) {
    // The paper keeps the previous and the current chunk; with the key-based scores 4 recent
    // chunks measured better perplexity at equal retrieval (docs/RESULTS.md), where K = L/w >= 8
    // still leaves 3 chunks chosen by score.
    const bool key_based = score != LH_CHUNK_SCORE_FAITHFUL;
    return key_based && k >= 8 ? 4 : 2;
}

ContextOptions resolve_context_options(const HParams &hp, ContextOptions o) {
    const int32_t T = hp.n_ctx_train;
    if (o.n_ctx < 0) invalid("n_ctx " + str(o.n_ctx) + " is negative");
    const bool default_ctx = o.n_ctx == 0;
    if (default_ctx) o.n_ctx = T;  // raised below for the modes that read past T
    if (o.n_ctx > kMaxCtx) {
        invalid("n_ctx " + str(o.n_ctx) + " is more than the supported " + str(kMaxCtx) +
                " tokens" + (default_ctx ? " (it defaulted to the model's trained context; set n_ctx)" : ""));
    }
    if (o.n_threads < 0 || o.n_threads > kMaxThreads) {
        invalid("n_threads " + str(o.n_threads) + " is outside 0.." + str(kMaxThreads));
    }
    // More threads than the machine has never help, and one OpenMP cannot create exits the
    // process: lowered to what usable_threads allows.
    o.n_threads = usable_threads(o.n_threads);
    if (o.n_batch < 0) invalid("n_batch " + str(o.n_batch) + " is negative");
    if (o.n_batch == 0) o.n_batch = kDefaultBatch;
    o.attention = checked_enum(o.attention, "attention");
    o.prefill_mode = checked_enum(o.prefill_mode, "prefill_mode");
    o.kv_type = checked_enum(o.kv_type, "kv_type");
    o.chunk_score = checked_enum(o.chunk_score, "chunk_score");
    if (o.chunk_size < 0) invalid("chunk_size " + str(o.chunk_size) + " is negative");
    if (o.attn_len < 0) invalid("attn_len " + str(o.attn_len) + " is negative");
    if (o.begin_len < 0) invalid("begin_len " + str(o.begin_len) + " is negative");
    if (o.n_sinks < 0) invalid("n_sinks " + str(o.n_sinks) + " is negative");
    if (o.local_chunks < 0) invalid("local_chunks " + str(o.local_chunks) + " is negative");

    // Defaults from T (docs/ATTENTION.md).
    // w <= T/6 keeps K = L/w >= 3 chunks on models trained on fewer than 96 tokens.
    if (o.chunk_size == 0) o.chunk_size = floor_pow2(std::max(1, std::min(std::max(16, T / 16), T / 6)));
    // L = 3T/4: with 4 local chunks it leaves 7 of K = 12 chunks to the score, which three
    // needles at once need (docs/RESULTS.md, "Attention length"); T/2 is the authors' passkey setting.
    if (o.attn_len == 0) o.attn_len = std::max(o.chunk_size, 3 * T / 4 / o.chunk_size * o.chunk_size);
    if (o.begin_len == 0) o.begin_len = o.attn_len;
    if (o.n_sinks == 0) o.n_sinks = 4;
    const int32_t k = o.attn_len / o.chunk_size;  // LongHeads K: chunks per head
    if (o.local_chunks == 0) o.local_chunks = default_local_chunks(o.chunk_score, k);

    const std::string over_t = "attn_len " + str(o.attn_len) + " is more than the model's trained context " + str(T) +
                               " (set allow_attn_len_over_trained to permit it)";
    if (o.attention == LH_ATTENTION_LONGHEADS) {
        if (o.attn_len % o.chunk_size != 0) {
            invalid("attn_len " + str(o.attn_len) + " is not a multiple of chunk_size " + str(o.chunk_size));
        }
        if (o.attn_len > T && !o.allow_attn_len_over_trained) invalid(over_t);
        // Below B every token attends to all before it: past T that is as far out of
        // distribution as L > T.
        if (o.begin_len > T && !o.allow_attn_len_over_trained) {
            invalid("begin_len " + str(o.begin_len) + " is more than the model's trained context " + str(T) +
                    " (set allow_attn_len_over_trained to permit it)");
        }
        if (k < 3) {
            invalid("attn_len / chunk_size = " + str(o.attn_len) + " / " + str(o.chunk_size) + " = " + str(k) +
                    " chunks; LongHeads needs at least 3 (sink, previous and current chunk)");
        }
        if (o.local_chunks > k - 1) {
            invalid("local_chunks " + str(o.local_chunks) + " leaves no room for the sink: at most K - 1 = " +
                    str(k - 1) + " (K = attn_len / chunk_size)");
        }
    } else if (o.attention == LH_ATTENTION_WINDOW) {
        if (o.attn_len > T && !o.allow_attn_len_over_trained) invalid(over_t);
        if (o.n_sinks >= o.attn_len) {
            invalid("n_sinks " + str(o.n_sinks) + " must be less than attn_len " + str(o.attn_len));
        }
    }
    if (default_ctx && o.attention != LH_ATTENTION_FULL) o.n_ctx = default_long_n_ctx(hp, o);
    o.n_batch = std::min({o.n_batch, o.n_ctx, kMaxBatch});  // a batch never holds more than the context
    return o;
}

AttentionConfig attention_config(const HParams &hp, const ContextOptions &o) {
    AttentionConfig c;
    c.mode = o.attention;
    c.chunk_size = o.chunk_size;
    c.attn_len = o.attn_len;
    c.begin_len = o.begin_len;
    c.n_sinks = o.n_sinks;
    c.prefill_mode = o.prefill_mode;
    c.kv_type = o.kv_type;
    c.chunk_score = o.chunk_score;
    c.local_chunks = o.local_chunks;
    c.n_layer = hp.n_layer;
    c.n_head = hp.n_head;
    c.n_head_kv = hp.n_head_kv;
    c.head_dim = hp.head_dim;
    c.n_rot = hp.n_rot;
    c.rope_freq_base = hp.rope_freq_base;
    c.rope_freq_scale = hp.rope_freq_scale;
    c.rope_freq_factors = hp.rope_factors_for(o.n_ctx);
    c.rope_attn_factor = hp.rope_magnitude();
    c.rope_yarn_orig_ctx = hp.rope_yarn ? hp.n_ctx_orig : 0;
    c.rope_yarn_beta_fast = hp.yarn_beta_fast;
    c.rope_yarn_beta_slow = hp.yarn_beta_slow;
    c.kq_scale = hp.attention_scale;
    c.rope_neox = hp.rope_neox;
    c.no_rope_layer_step = hp.no_rope_layer_step;
    c.n_ctx = o.n_ctx;
    return c;
}

Context::Context(const Model &model, const ContextOptions &opts)
    : model_(model), opts_(resolve_context_options(model.hparams(), opts)) {
    const HParams &hp = model.hparams();
    const AttentionConfig cfg = attention_config(hp, opts_);
    const uint64_t kv = Attention::estimate_bytes(cfg, opts_.n_ctx);
    act_bytes_ = Forward::activation_bytes(hp, opts_.n_batch);
    // What grows with n_ctx is refused before anything is allocated; the attention's per-thread
    // scratch (threads x B/w) is known once the attention exists (allocated, not yet touched).
    check_budget(kv, 0, 1);
    try {
        arena_.reset(new tbb::task_arena(opts_.n_threads));
        attn_.reset(new Attention(cfg, arena_.get()));
        check_budget(kv, attn_->scratch_bytes(), 1);
        fixed_bytes_ = attn_->allocated_bytes() + act_bytes_;
        mm_.reset(new MatmulCache(opts_.n_threads));
        fwd_.reset(new Forward(model, opts_.n_batch));
        if (opts_.attention == LH_ATTENTION_LONGHEADS) fwd_->set_temperature_cap(hp.n_ctx_train - 1);
        logits_.reserve(static_cast<size_t>(hp.n_vocab));
        // Decoding runs M = 1 products: make those primitives now (every layer has the shapes
        // of layer 0), the batch-sized ones on first use.
        const LayerWeights &l0 = model.layer(0);
        for (const WeightMatrix *w : {&l0.wq, &l0.wk, &l0.wo, &l0.w_gate, &l0.w_down, &model.output()}) {
            mm_->prepare(1, *w);
        }
    } catch (const std::bad_alloc &) {
        fail(LH_ERROR_OUT_OF_MEMORY, "could not allocate a context of " + str(opts_.n_ctx) + " tokens: it needs " +
                                         str(kv) + " bytes of KV cache plus " + str(act_bytes_) + " bytes of activations");
    }
}

uint64_t Context::logits_bytes(uint64_t rows) const {
    return rows * static_cast<uint64_t>(model_.hparams().n_vocab) * sizeof(float);
}

void Context::check_budget(uint64_t kv, uint64_t scratch, uint64_t logit_rows) const {
    const uint64_t budget = opts_.memory_budget_bytes;
    const uint64_t logits = logits_bytes(logit_rows);
    const uint64_t total = kv + scratch + act_bytes_ + logits;
    if (budget == 0 || total <= budget) return;
    fail(LH_ERROR_OUT_OF_MEMORY,
         "context of " + str(opts_.n_ctx) + " tokens needs " + str(kv) + " bytes of KV cache" +
             (scratch ? ", " + str(static_cast<int64_t>(scratch)) + " bytes of attention scratch (" + str(opts_.n_threads) +
                            " threads)"
                      : std::string()) +
             " (plus " + str(static_cast<int64_t>(act_bytes_)) + " bytes of activations for batches of " +
             str(opts_.n_batch) + " and " + str(static_cast<int64_t>(logits)) + " bytes of logits): " +
             str(static_cast<int64_t>(total)) + " bytes, over the budget of " + str(static_cast<int64_t>(budget)) +
             " bytes");
}

Context::~Context() = default;

uint64_t Context::kv_bytes() const { return attn_->allocated_bytes(); }

size_t Context::n_matmul_primitives() const { return mm_->n_primitives(); }

void Context::reset() {
    attn_->reset();
    n_past_ = 0;
    tokens_.clear();
    n_logits_ = 0;
}

void Context::eval(const int32_t *tokens, size_t n, bool all_logits, const std::atomic<bool> *cancel) {
    const HParams &hp = model_.hparams();
    check_tokens(tokens, n);
    if (n > static_cast<size_t>(opts_.n_ctx - n_past_)) {
        fail(LH_ERROR_CONTEXT_FULL, str(static_cast<int64_t>(n)) + " tokens do not fit: context holds " + str(n_past_) +
                                        " of " + str(opts_.n_ctx));
    }
    const size_t rows = all_logits ? n : 1;
    if (opts_.memory_budget_bytes != 0 && fixed_bytes_ + logits_bytes(rows) > opts_.memory_budget_bytes) {
        fail(LH_ERROR_OUT_OF_MEMORY,
             "the logits of " + str(static_cast<int64_t>(rows)) + " tokens need " +
                 str(static_cast<int64_t>(logits_bytes(rows))) + " bytes; with the context's " +
                 str(static_cast<int64_t>(fixed_bytes_)) + " bytes that is over the budget of " +
                 str(static_cast<int64_t>(opts_.memory_budget_bytes)) +
                 " bytes. Nothing was evaluated: evaluate fewer tokens per call with all_logits");
    }
    model_.check_file_unchanged();  // a truncated map would fault (SIGBUS) in the first read
    // The OpenMP team size is per calling thread, and this context may have changed threads.
    omp_set_num_threads(opts_.n_threads);
    const int32_t total = static_cast<int32_t>(n);
    n_logits_ = 0;
    try {
        const size_t want = rows * static_cast<size_t>(hp.n_vocab);
        // After a large all-logits call, give the memory back rather than keep it for good.
        if (logits_.capacity() > 4 * want && logits_.capacity() > (1u << 20)) std::vector<float>().swap(logits_);
        logits_.resize(want);
    } catch (const std::bad_alloc &) {
        fail(LH_ERROR_OUT_OF_MEMORY, "cannot allocate " + str(static_cast<int64_t>(rows * hp.n_vocab * sizeof(float))) +
                                         " bytes for the logits of " + str(static_cast<int64_t>(rows)) + " tokens");
    }

    for (int32_t start = 0; start < total; start += opts_.n_batch) {
        const int32_t nb = std::min(opts_.n_batch, total - start);
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            fail(LH_ERROR_CANCELLED, "evaluation cancelled after " + str(start) + " of " + str(total) +
                                         " tokens; the context holds " + str(n_past_) + " tokens");
        }
        // Rows of this batch whose logits are wanted, and where they go.
        int32_t first = nb;
        float *dst = logits_.data();
        if (all_logits) {
            first = 0;
            dst = logits_.data() + static_cast<size_t>(start) * hp.n_vocab;
        } else if (start + nb == total) {
            first = nb - 1;
        }
        bool done = false;
        try {
            done = fwd_->run(tokens + start, nb, n_past_, first, dst, *attn_, *mm_, cancel);
        } catch (const std::bad_alloc &) {
            reset();
            fail(LH_ERROR_OUT_OF_MEMORY, "out of memory during evaluation; the context was reset");
        } catch (...) {
            reset();  // the cache holds part of this batch: drop everything rather than lie
            throw;
        }
        if (!done) {
            cut_to(n_past_);  // drops the part of this batch the cache holds
            fail(LH_ERROR_CANCELLED, "evaluation cancelled in the middle of a batch; the context holds " +
                                         str(n_past_) + " tokens");
        }
        check_finite(dst, nb - first, start + first);
        n_past_ += nb;
        tokens_.insert(tokens_.end(), tokens + start, tokens + start + nb);
    }
    n_logits_ = static_cast<int32_t>(rows);
}

void Context::check_tokens(const int32_t *tokens, size_t n) const {
    if (n == 0) invalid("no tokens to evaluate");
    if (tokens == nullptr) invalid("tokens is NULL");
    const int32_t n_vocab = model_.hparams().n_vocab;
    for (size_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) {
            invalid("token id " + str(tokens[i]) + " at index " + str(static_cast<int64_t>(i)) +
                    " is out of range: the vocabulary has " + str(n_vocab) + " tokens");
        }
    }
}

void Context::check_finite(const float *logits, int32_t rows, int32_t first_token) {
    const int32_t V = model_.hparams().n_vocab;
    for (int32_t r = 0; r < rows; ++r) {
        const int64_t bad = first_non_finite(logits + static_cast<size_t>(r) * V, V);
        if (bad < 0) continue;
        // The cache holds what produced them: poisoned for every later token.
        reset();
        fail(LH_ERROR_NUMERIC, "evaluation gave a non-finite logit (" + std::to_string(logits[r * static_cast<size_t>(V) + bad]) +
                                   " for token id " + str(bad) + ") at input token " + str(first_token + r) +
                                   ": the weights hold NaN/infinity or the computation overflowed "
                                   "(check_tensors = 1 at load finds bad weights); the context was reset");
    }
}

const float *Context::logits(int32_t index) const {
    if (n_logits_ == 0) invalid("no logits: nothing has been evaluated since the context was created or reset");
    const int32_t i = index == -1 ? n_logits_ - 1 : index;
    if (i < 0 || i >= n_logits_) {
        invalid("logits index " + str(index) + " is out of range: the last evaluation kept " + str(n_logits_) + " row" +
                (n_logits_ == 1 ? "" : "s"));
    }
    return logits_.data() + static_cast<size_t>(i) * model_.hparams().n_vocab;
}

uint64_t Context::estimate_kv_bytes(const Model &model, const ContextOptions &opts, int64_t n_tokens) {
    if (n_tokens < 0) invalid("n_tokens " + str(n_tokens) + " is negative");
    // No context holds more than kMaxCtx tokens, and bigger counts would overflow the sums.
    if (n_tokens > kMaxCtx)
        invalid("n_tokens " + str(n_tokens) + " is more than the supported " + str(kMaxCtx) + " tokens");
    const ContextOptions o = resolve_context_options(model.hparams(), opts);
    return Attention::estimate_bytes(attention_config(model.hparams(), o), n_tokens);
}

}  // namespace lh
