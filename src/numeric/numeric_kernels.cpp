// The NumericKernels table of each level (generic::fill is in tensor_types.cpp, next to the
// scalar conversion it uses).
#include "numeric/numeric_kernels.h"

#include "cpu/level_tables.h"

namespace lh {
namespace numeric {

namespace {
const cpu::LevelTables<NumericKernels> &tables() {
    static const cpu::LevelTables<NumericKernels> t({generic::fill, LH_LEVEL_FILL(avx2::fill), nullptr, nullptr});
    return t;
}
}  // namespace

const NumericKernels *kernels_for(cpu::Isa isa) { return tables().at(isa); }

const NumericKernels &kernels() {
    static const NumericKernels &active = *kernels_for(cpu::active_isa());
    return active;
}

}  // namespace numeric
}  // namespace lh
