// Software prefetch of the weight stream in the decode kernels.
//
// A decode product reads each weight once, so it runs at the rate memory delivers bytes, and one
// core's hardware prefetcher keeps too few lines in flight for that. Requesting the lines 16 KiB
// ahead (the first distance) while the current row is computed raised bench/qkernel_bench's
// streaming rate (5632 x 2048, 2 threads, interleaved runs) from 35-36 to 43-49 GB/s on Q4_0, 35
// to 41-42 on Q4_K and 21-23 to 42-56 on Q6_K (AVX-512 VNNI level); on the AVX2 level Q6_K went
// from 20 to 41-47. Distances of 4 KiB and 64 KiB did no better there (docs/BENCHMARKS.md,
// "Software prefetch"). In the whole decode, whose products are mostly matrices of 256-2,048 rows
// in groups, 8 KiB did better than 16: the Q4_K_M-like file won 13 of 14 rounds (one tie) in two
// series, 4 of 8 in a third during a slow hour of the host; 32 KiB did worse, and a prefetch of
// every other line or into L2 only (prefetcht1) much worse (docs/BENCHMARKS.md, "Prefetch distance
// in the whole decode").
// Header-only and builtins only: it is compiled into every instruction-set level.
#pragma once

#include <cstdint>

namespace lh::ops {

constexpr uint64_t kWeightPrefetchBytes = 8192;

// Requests the `bytes` bytes from address `first` on. Prefetches never fault, so lines past the
// end of a matrix cost nothing but a wasted request; the address is an integer so that no pointer
// leaves its array.
inline void prefetch_range(uintptr_t first, int64_t bytes) {
    for (int64_t offset = 0; offset < bytes; offset += 64)
        __builtin_prefetch(reinterpret_cast<const void *>(first + static_cast<uintptr_t>(offset)), 0, 3);
}

// Requests the `bytes` bytes that start kWeightPrefetchBytes after `row`.
inline void prefetch_ahead(const uint8_t *row, int64_t bytes) {
    prefetch_range(reinterpret_cast<uintptr_t>(row) + kWeightPrefetchBytes, bytes);
}

// Requests the `bytes` bytes from `start` on: the first weights of a run of rows, before the
// kernels' prefetch_ahead is in front of them.
inline void prefetch_span(const uint8_t *start, int64_t bytes) { prefetch_range(reinterpret_cast<uintptr_t>(start), bytes); }

}  // namespace lh::ops
