// A 64-bit fingerprint of a loaded model, stored in saved contexts so that a context is only
// loaded into the model that produced it: every tensor's name, type, shape and first bytes, the
// hyper-parameters that shape the computation.
#pragma once

#include <cstdint>

namespace lh {

class Model;

uint64_t model_fingerprint(const Model &model);

}  // namespace lh
