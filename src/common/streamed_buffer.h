// Memory for large buffers that every decoded token reads from end to end (the weights).
#pragma once

#include <cstdint>

namespace lh {

// `bytes` (rounded up to 64) aligned to 64 bytes, and to 2 MiB once it spans two huge pages, with
// the whole 2 MiB pages it contains advised for transparent huge pages (MADV_HUGEPAGE; the tail
// stays in small pages, so no memory is added). Throws std::bad_alloc; release with std::free.
//
// Why: with 4 KiB pages a pass over the weights needs a TLB entry per 4 KiB, 256 per MiB; with
// huge pages one per 2 MiB. The kernel gives anonymous memory huge pages only when asked where
// transparent_hugepage/enabled is `madvise` (as on the test machine). Measured on this 2-core VM
// (longheads bench, TinyLlama-shaped Q4_0 and Q8_0, 2 threads, interleaved runs): no loss in
// speed or peak RSS; decode runs that fell far below the usual rate were rarer over huge pages
// but not gone (docs/BENCHMARKS.md, "Slow decode runs").
void *allocate_streamed(uint64_t bytes);

}  // namespace lh
