#include "common/spin_barrier.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace lh {

namespace {

// Pause instructions before sleeping: about 50 us on this project's machine (AMD EPYC, 26 ns per
// pause), longer than a balanced wait inside one token, far shorter than a time slice. Measured
// on Q4_0 decode (docs/PERFORMANCE.md): 300 lost the gain, 16000 cost 30 % on a busy machine.
constexpr int kSpinLimit = 2000;

void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static_assert(sizeof(std::atomic<unsigned>) == sizeof(unsigned), "the futex word is the atomic's storage");

unsigned *word(std::atomic<unsigned> &a) { return reinterpret_cast<unsigned *>(&a); }

}  // namespace

void SpinBarrier::arrive_and_wait(int team) {
    if (team <= 1) return;
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == team) {
        arrived_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_seq_cst);  // publishes the reset; ordered before the sleepers read
        if (sleepers_.load(std::memory_order_seq_cst) > 0)
            syscall(SYS_futex, word(generation_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
        return;
    }
    for (int spins = 0; spins < kSpinLimit; ++spins) {
        if (generation_.load(std::memory_order_acquire) != generation) return;
        pause();
    }
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    // FUTEX_WAIT returns at once when the word is no longer `generation` (no lost wake-up).
    while (generation_.load(std::memory_order_seq_cst) == generation)
        syscall(SYS_futex, word(generation_), FUTEX_WAIT_PRIVATE, generation, nullptr, nullptr, 0);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace lh
