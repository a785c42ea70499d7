// The OpsKernels table of each level (ops_kernels.h) and the active one.
#include "cpu/level_tables.h"
#include "ops/ops_kernels.h"

namespace lh::ops {

namespace {

const cpu::LevelTables<OpsKernels> &tables() {
    static const cpu::LevelTables<OpsKernels> t({generic::fill, LH_LEVEL_FILL(avx2::fill),
                                                  LH_LEVEL_FILL(avx512::fill), LH_LEVEL_FILL(avx512bf16::fill)});
    return t;
}

}  // namespace

const OpsKernels *kernels_for(cpu::Isa isa) { return tables().at(isa); }

const OpsKernels &kernels() {
    static const OpsKernels &active = *kernels_for(cpu::active_isa());
    return active;
}

}  // namespace lh::ops
