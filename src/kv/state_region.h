// A context's state as a list of byte ranges. Each component of the cache (keys and values,
// chunk keys, chunk bounds, ...) lists, in one function, the ranges that hold its first n tokens;
// saving writes them in that order, loading fills them, forking copies them between two
// contexts of the same shape. A component's bytes depend only on the tokens it holds (slots of a
// partly filled tile are zero), so the same tokens save to the same bytes.
#pragma once

#include <cstdint>
#include <vector>

namespace lh::kv {

struct StateRegion {
    unsigned char *data;
    uint64_t bytes;
};
using StateRegions = std::vector<StateRegion>;

}  // namespace lh::kv
