// How many threads the library may start without endangering its host process.
#pragma once

#include <cstdint>

namespace lh {

// Threads a call asking for `requested` (0 = all) may use: at most the hardware threads the
// process may run on (its CPU affinity), and no more than the address-space limit (RLIMIT_AS)
// leaves room for (each thread costs its stack plus glibc's 64 MiB per-thread malloc arena
// reservation), so that asking OpenMP or TBB for them cannot fail: libgomp exits the process
// when it cannot create a thread. Always >= 1.
int32_t usable_threads(int32_t requested);

}  // namespace lh
