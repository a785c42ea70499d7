#include "common/threads.h"

#include "common/process_limits.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace lh {

namespace {

constexpr uint64_t kMallocArena = 64ull << 20;  // glibc reserves this much address space per arena

// OMP_STACKSIZE / GOMP_STACKSIZE as libgomp reads them ("512K", "8M", "1G"; a bare number is
// KiB), or 0 when unset or unreadable.
uint64_t omp_stack_size() {
    for (const char *name : {"GOMP_STACKSIZE", "OMP_STACKSIZE"}) {
        const char *v = std::getenv(name);
        if (!v || !*v) continue;
        char *end = nullptr;
        const unsigned long long n = std::strtoull(v, &end, 10);
        while (end && std::isspace(static_cast<unsigned char>(*end))) ++end;
        uint64_t unit = 1024;
        switch (end ? std::toupper(static_cast<unsigned char>(*end)) : 0) {
            case 'B': unit = 1; break;
            case 'M': unit = 1ull << 20; break;
            case 'G': unit = 1ull << 30; break;
            default: break;
        }
        return static_cast<uint64_t>(n) * unit;
    }
    return 0;
}

// Stack of a new thread: OpenMP's setting, else the process default (from RLIMIT_STACK).
uint64_t thread_stack_size() {
    if (uint64_t s = omp_stack_size()) return s;
    pthread_attr_t attr;
    size_t size = 8u << 20;
    if (pthread_getattr_default_np(&attr) == 0) {
        pthread_attr_getstacksize(&attr, &size);
        pthread_attr_destroy(&attr);
    }
    return size;
}

// Address space in use now (VmSize), or 0 if unknown.
uint64_t address_space_used() {
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long pages = 0;
    const int got = std::fscanf(f, "%llu", &pages);
    std::fclose(f);
    return got == 1 ? pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Threads (counting the caller's) that fit in half of the address space left under RLIMIT_AS.
int64_t threads_address_space_allows() {
    const uint64_t limit = address_space_limit();
    if (limit == UINT64_MAX) return INT64_MAX;
    const uint64_t used = address_space_used();
    const uint64_t left = limit > used ? limit - used : 0;
    return 1 + static_cast<int64_t>(left / 2 / (thread_stack_size() + kMallocArena));
}

// Hardware threads this process may run on (its CPU affinity, e.g. a container's share).
int64_t hardware_threads() {
    int64_t n = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) n = std::min<int64_t>(n, CPU_COUNT(&set));
    return n;
}

}  // namespace

int32_t usable_threads(int32_t requested) {
    const int64_t hardware = hardware_threads();
    int64_t n = requested <= 0 ? hardware : std::min<int64_t>(requested, hardware);
    n = std::min(n, threads_address_space_allows());
    return static_cast<int32_t>(std::max<int64_t>(n, 1));
}

}  // namespace lh
