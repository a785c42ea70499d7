// The server's contexts: a fixed number on one shared model, each used by one request at a
// time. A request gets the free context whose tokens share the longest prefix with its prompt
// (so a second question about a document another request has read skips the document's
// prefill), made with the request's attention parameters (a context made with others is made
// again). When every context is busy a request waits in a bounded queue; beyond it, 503.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "longheads/longheads.h"

namespace cli {

class ContextPool;

// A context held by one request; returns it to the pool when destroyed.
class Lease {
public:
    ~Lease();
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;
    lh_context *context() const;

private:
    void update_tokens();  // remembers what the context holds, for the next choice
    friend class ContextPool;
    Lease(ContextPool &pool, size_t slot) : pool_(pool), slot_(slot) {}
    ContextPool &pool_;
    size_t slot_;
};

struct PoolStats {
    size_t contexts, busy, waiting;
    uint64_t served;
};

class ContextPool {
public:
    // Creates n contexts with `params` (throws std::runtime_error with the library's message).
    ContextPool(const lh_model *model, const lh_context_params &params, size_t n, size_t max_waiting);
    ~ContextPool();

    // A context for a request whose prompt is `prompt`, made with `params`. Waits while all are
    // busy; throws ApiError 503 when max_waiting requests already wait, ApiError 400 when the
    // parameters are refused by the library, and ApiError 499 when `gone()` (polled while
    // waiting) says the client left.
    std::unique_ptr<Lease> acquire(const lh_context_params &params, const std::vector<int32_t> &prompt,
                                   const std::function<bool()> &gone);
    PoolStats stats();
    // Cancels whatever every context is evaluating (server shutdown).
    void cancel_all();

private:
    friend class Lease;
    struct Slot {
        lh_context *context = nullptr;
        lh_context_params params;
        std::vector<int32_t> tokens;  // what the context holds, as of its last release
        bool busy = false;
        uint64_t last_used = 0;
    };
    size_t choose(const lh_context_params &params, const std::vector<int32_t> &prompt) const;
    void release(size_t slot);

    const lh_model *model_;
    size_t max_waiting_;
    std::mutex mu_;
    std::condition_variable freed_;
    std::vector<Slot> slots_;
    size_t waiting_ = 0;
    uint64_t clock_ = 0, served_ = 0;
};

// Two parameter sets make the same context (every field but the thread count).
bool same_context_params(const lh_context_params &a, const lh_context_params &b);

}  // namespace cli
