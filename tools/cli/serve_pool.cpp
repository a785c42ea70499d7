#include "serve_pool.h"

#include <stdexcept>
#include <string>

#include "serve_error.h"

namespace cli {

bool same_context_params(const lh_context_params &a, const lh_context_params &b) {
    return a.n_ctx == b.n_ctx && a.n_batch == b.n_batch && a.attention == b.attention &&
           a.chunk_size == b.chunk_size && a.attn_len == b.attn_len && a.begin_len == b.begin_len &&
           a.n_sinks == b.n_sinks && a.allow_attn_len_over_trained == b.allow_attn_len_over_trained &&
           a.prefill_mode == b.prefill_mode && a.kv_type == b.kv_type &&
           a.memory_budget_bytes == b.memory_budget_bytes && a.chunk_score == b.chunk_score &&
           a.local_chunks == b.local_chunks;
}

namespace {

size_t common_prefix(const std::vector<int32_t> &a, const std::vector<int32_t> &b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

}  // namespace

Lease::~Lease() {
    if (context()) update_tokens();
    pool_.release(slot_);
}

lh_context *Lease::context() const { return pool_.slots_[slot_].context; }

void Lease::update_tokens() {
    ContextPool::Slot &s = pool_.slots_[slot_];  // only this lease touches a busy slot
    size_t n = 0;
    lh_context_tokens(s.context, nullptr, 0, &n);
    s.tokens.resize(n);
    if (lh_context_tokens(s.context, s.tokens.data(), s.tokens.size(), &n) != LH_OK) s.tokens.clear();
}

ContextPool::ContextPool(const lh_model *model, const lh_context_params &params, size_t n, size_t max_waiting)
    : model_(model), max_waiting_(max_waiting), slots_(n) {
    for (Slot &s : slots_) {
        s.params = params;
        if (lh_context_create(model, &params, &s.context) != LH_OK) {
            const std::string why = lh_last_error();
            for (Slot &made : slots_) lh_context_free(made.context);
            throw std::runtime_error("cannot create the server's contexts: " + why);
        }
    }
}

ContextPool::~ContextPool() {
    for (Slot &s : slots_) lh_context_free(s.context);
}

size_t ContextPool::choose(const lh_context_params &params, const std::vector<int32_t> &prompt) const {
    size_t best = slots_.size(), best_prefix = 0;
    bool best_same = false;
    for (size_t i = 0; i < slots_.size(); ++i) {
        const Slot &s = slots_[i];
        if (s.busy) continue;
        const bool same = same_context_params(s.params, params);
        const size_t prefix = same ? common_prefix(s.tokens, prompt) : 0;
        // Longest shared prefix first; then a context that need not be made again; then the
        // one unused for longest (its tokens are the least likely to be asked about again).
        const bool better = best == slots_.size() || prefix > best_prefix ||
                            (prefix == best_prefix && same && !best_same) ||
                            (prefix == best_prefix && same == best_same && s.last_used < slots_[best].last_used);
        if (better) {
            best = i;
            best_prefix = prefix;
            best_same = same;
        }
    }
    return best;
}

std::unique_ptr<Lease> ContextPool::acquire(const lh_context_params &params, const std::vector<int32_t> &prompt,
                                            const std::function<bool()> &gone) {
    std::unique_lock<std::mutex> lock(mu_);
    size_t slot = choose(params, prompt);
    if (slot == slots_.size()) {
        if (waiting_ >= max_waiting_)
            throw ApiError(503, "all " + std::to_string(slots_.size()) + " contexts are busy and " +
                                    std::to_string(waiting_) + " requests are waiting; try again later",
                           "server_error", "", "server_busy");
        ++waiting_;
        while ((slot = choose(params, prompt)) == slots_.size()) {
            freed_.wait_for(lock, std::chrono::milliseconds(100));
            if (gone && gone()) {
                --waiting_;
                throw ApiError(499, "the client closed the connection while waiting", "server_error");
            }
        }
        --waiting_;
    }
    Slot &s = slots_[slot];
    s.busy = true;
    s.last_used = ++clock_;
    ++served_;
    std::unique_ptr<Lease> lease(new Lease(*this, slot));
    if (!s.context || !same_context_params(s.params, params)) {
        // Made again with the request's parameters, outside the lock (creating a context
        // allocates its cache). If that fails the slot stays empty and is made on its next use.
        lh_context *old = s.context;
        s.context = nullptr;
        s.tokens.clear();
        lock.unlock();
        lh_context_free(old);
        lh_context *made = nullptr;
        const lh_status st = lh_context_create(model_, &params, &made);
        const std::string why = st == LH_OK ? "" : lh_last_error();
        if (st != LH_OK) {  // (unlocked: the lease's destructor locks to release the slot)
            if (st == LH_ERROR_OUT_OF_MEMORY)
                throw ApiError(503, "not enough memory for a context with these parameters: " + why, "server_error", "",
                               "out_of_memory");
            throw ApiError(400, "the attention parameters are refused: " + why);
        }
        lock.lock();
        s.context = made;
        s.params = params;
    }
    return lease;
}

void ContextPool::release(size_t slot) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        slots_[slot].busy = false;
        slots_[slot].last_used = ++clock_;
    }
    freed_.notify_all();
}

void ContextPool::cancel_all() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Slot &s : slots_) lh_context_cancel(s.context);  // NULL-safe; any thread
}

PoolStats ContextPool::stats() {
    std::lock_guard<std::mutex> lock(mu_);
    PoolStats st{slots_.size(), 0, waiting_, served_};
    for (const Slot &s : slots_) st.busy += s.busy ? 1 : 0;
    return st;
}

}  // namespace cli
