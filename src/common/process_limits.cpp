#include "common/process_limits.h"

#include <sys/resource.h>
#include <unistd.h>

namespace lh {

uint64_t address_space_limit() {
    struct rlimit rl {};
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
    return static_cast<uint64_t>(rl.rlim_cur);
}

uint64_t physical_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

}  // namespace lh
