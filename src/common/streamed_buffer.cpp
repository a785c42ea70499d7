#include "common/streamed_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace lh {

namespace {
constexpr uint64_t kHugePage = 2u << 20;
}

void *allocate_streamed(uint64_t bytes) {
    const uint64_t rounded = bytes ? (bytes + 63) / 64 * 64 : 64;
    const uint64_t whole_pages = rounded / kHugePage * kHugePage;
    const bool huge = whole_pages >= 2 * kHugePage;
    void *p = huge ? std::aligned_alloc(kHugePage, (rounded + kHugePage - 1) / kHugePage * kHugePage)
                   : std::aligned_alloc(64, rounded);
    if (!p) throw std::bad_alloc();
    // Advice only: without THP support (or on failure) the buffer simply stays in small pages.
    if (huge) (void)madvise(p, whole_pages, MADV_HUGEPAGE);
    return p;
}

}  // namespace lh
