// Finding NaN and infinity in float arrays, by the exponent bits (so it holds under any
// floating-point compiler flags).
#pragma once

#include <cstdint>
#include <cstring>

namespace lh {

// Index of the first NaN or infinity in x[0..n), or -1 when every value is finite.
inline int64_t first_non_finite(const float *x, int64_t n) {
    constexpr uint32_t kExponent = 0x7f800000u;
    // A branch-free pass first (it vectorizes); the index is only looked for when needed.
    uint32_t any = 0;
    for (int64_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        any |= static_cast<uint32_t>((bits & kExponent) == kExponent);
    }
    if (!any) return -1;
    for (int64_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        if ((bits & kExponent) == kExponent) return i;
    }
    return -1;
}

}  // namespace lh
