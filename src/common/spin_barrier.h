// A barrier between the threads of one parallel region that spins briefly, then sleeps.
// The one-token forward pass crosses several per layer, each a wait of microseconds between two
// threads that are both working. libgomp's own barrier under OMP_WAIT_POLICY=PASSIVE (the
// library's setting, see docs/PERFORMANCE.md) sleeps at once and pays a futex wake-up each time;
// an endless spin would burn the core a descheduled partner needs on a busy machine. So: a short
// spin, then a futex sleep that the last thread to arrive ends.
#pragma once

#include <atomic>

namespace lh {

class SpinBarrier {
public:
    // Every thread of the team calls it with the same team size.
    void arrive_and_wait(int team);

private:
    std::atomic<int> arrived_{0};
    std::atomic<int> sleepers_{0};
    std::atomic<unsigned> generation_{0};  // the futex word
};

}  // namespace lh
