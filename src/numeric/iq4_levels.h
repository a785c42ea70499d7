// The 16 levels a 4-bit index of iq4_nl / iq4_xs selects (ggml's kvalues_iq4nl). Data only, so
// that the dequantizers and the per-level kernel files (which include no inline functions from
// outside their own namespace) can share the one table.
#pragma once

#include <cstdint>

namespace lh {

constexpr int8_t kIq4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

}  // namespace lh
