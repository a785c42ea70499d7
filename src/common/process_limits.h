// What the operating system lets this process use, read once per call (limits can change).
#pragma once

#include <cstdint>

namespace lh {

// The soft RLIMIT_AS (bytes of address space the process may map), or UINT64_MAX if unlimited or
// unreadable.
uint64_t address_space_limit();

// Physical memory in bytes, or 0 if unknown.
uint64_t physical_memory();

}  // namespace lh
