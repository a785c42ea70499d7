#include "model/tensor_check.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <atomic>
#include <limits>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/finite.h"
#include "gguf/gguf_file.h"
#include "numeric/tensor_types.h"

namespace lh {

namespace {

// First row of `t` holding a non-finite value, or -1.
int64_t first_bad_row(const GgufFile &file, const GgufTensorInfo &t, tbb::task_arena &arena) {
    const TensorType type = static_cast<TensorType>(t.type);
    const int64_t cols = t.dims[0], rows = static_cast<int64_t>(t.n_elements) / cols;
    const size_t row_bytes = tensor_row_bytes(type, cols);
    const uint8_t *base = file.tensor_data(t);
    std::atomic<int64_t> first{std::numeric_limits<int64_t>::max()};
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 16), [&](const tbb::blocked_range<int64_t> &r) {
            std::vector<float> row(static_cast<size_t>(cols));
            for (int64_t i = r.begin(); i < r.end() && i < first.load(std::memory_order_relaxed); ++i) {
                dequantize_row(type, base + static_cast<size_t>(i) * row_bytes, row.data(), cols);
                if (first_non_finite(row.data(), cols) < 0) continue;
                int64_t seen = first.load();
                while (i < seen && !first.compare_exchange_weak(seen, i)) {
                }
                break;
            }
        });
    });
    const int64_t bad = first.load();
    return bad == std::numeric_limits<int64_t>::max() ? -1 : bad;
}

}  // namespace

void check_tensors_finite(const GgufFile &file, tbb::task_arena &arena) {
    for (const GgufTensorInfo &t : file.tensors()) {
        const TensorTypeTraits *traits = tensor_type_traits(t.type);
        if (!traits || !traits->can_dequantize) continue;  // the loader refuses these if used
        const int64_t row = first_bad_row(file, t, arena);
        if (row < 0) continue;
        const TensorType type = static_cast<TensorType>(t.type);
        std::vector<float> values(static_cast<size_t>(t.dims[0]));
        dequantize_row(type, file.tensor_data(t) + static_cast<size_t>(row) * tensor_row_bytes(type, t.dims[0]),
                       values.data(), t.dims[0]);
        const int64_t col = first_non_finite(values.data(), t.dims[0]);
        std::ostringstream os;
        os << "tensor '" << t.name << "' holds a non-finite value (" << values[static_cast<size_t>(col)]
           << ") at element " << row * t.dims[0] + col << " (row " << row << ", column " << col
           << "); the model's weights are corrupt (found by check_tensors)";
        fail(LH_ERROR_BAD_FORMAT, os.str());
    }
}

}  // namespace lh
