#include "common/team_work.h"

namespace lh {

void TeamWork::claim_items(int part) {
    for (int64_t item = next_.fetch_add(1, std::memory_order_relaxed); item < n_items_;
         item = next_.fetch_add(1, std::memory_order_relaxed)) {
        try {
            fn_(body_, item, part);
        } catch (...) {
            if (!failed_.exchange(true, std::memory_order_acq_rel)) error_ = std::current_exception();
        }
    }
}

void TeamWork::run_items(int64_t n_items, Body fn, const void *body) {
    fn_ = fn;
    body_ = body;
    n_items_ = n_items;
    released_ = false;
    next_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    barrier_.arrive_and_wait(parts_);  // the others start claiming
    claim_items(0);
    barrier_.arrive_and_wait(parts_);  // every item done
    if (failed_.load(std::memory_order_acquire)) {
        std::exception_ptr e = error_;
        error_ = nullptr;
        std::rethrow_exception(e);
    }
}

void TeamWork::release() {
    released_ = true;
    barrier_.arrive_and_wait(parts_);
}

void TeamWork::serve(int part) {
    for (;;) {
        barrier_.arrive_and_wait(parts_);
        if (released_) return;
        claim_items(part);
        barrier_.arrive_and_wait(parts_);
    }
}

}  // namespace lh
