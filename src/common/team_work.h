// Loops that thread 0 of a running parallel region shares with the rest of its team.
//
// A decoded token runs in one OpenMP region (model/forward_decode.cpp). Between its products,
// thread 0 runs the layer's attention, whose per-head loops are worth sharing. Leaving the region
// for them would put the other threads to sleep and wake them again twice per layer (libgomp under
// OMP_WAIT_POLICY=PASSIVE, then the TBB arena's workers), which costs more than a short loop.
// Instead the other threads wait in serve() at the team's SpinBarrier, join every loop that
// thread 0 starts with run(), and leave when thread 0 calls release().
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include "common/spin_barrier.h"

namespace lh {

class TeamWork {
public:
    // Shared by the whole team (made before the region): its threads meet at `barrier`, which
    // nothing else uses while they are in run() or serve().
    explicit TeamWork(SpinBarrier &barrier) : barrier_(barrier) {}

    // Thread 0, before the team's first barrier: the number of threads in the region.
    void set_parts(int parts) { parts_ = parts; }
    int parts() const { return parts_; }

    // Thread 0: body(item, part) for every item in [0, n_items), the team claiming items one by
    // one; returns when all are done. An exception thrown by any body is rethrown here.
    template <class F> void run(int64_t n_items, const F &body) {
        run_items(n_items, &call<F>, &body);
    }
    // Thread 0: lets the others leave serve().
    void release();
    // Threads 1 .. parts-1: joins thread 0's loops until it calls release().
    void serve(int part);

private:
    using Body = void (*)(const void *body, int64_t item, int part);
    template <class F> static void call(const void *body, int64_t item, int part) {
        (*static_cast<const F *>(body))(item, part);
    }
    void run_items(int64_t n_items, Body fn, const void *body);
    void claim_items(int part);

    SpinBarrier &barrier_;
    int parts_ = 1;
    // Written by thread 0 before the barrier that starts a loop, read by the others after it.
    Body fn_ = nullptr;
    const void *body_ = nullptr;
    int64_t n_items_ = 0;
    bool released_ = false;
    std::atomic<int64_t> next_{0};
    std::atomic<bool> failed_{false};
    std::exception_ptr error_;  // the first failure; written by the thread that set failed_
};

}  // namespace lh
