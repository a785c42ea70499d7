// The optional check at load (lh_model_params.check_tensors): every weight a finite number.
#pragma once

#include <oneapi/tbb/task_arena.h>

namespace lh {

class GgufFile;

// Dequantizes every readable tensor of `file` row by row (in `arena`) and throws
// LH_ERROR_BAD_FORMAT naming the first tensor, in file order, that holds a NaN or an infinity,
// with the element and its value.
void check_tensors_finite(const GgufFile &file, tbb::task_arena &arena);

}  // namespace lh
