// The attention kernel table of each level (kernel_table.h) and the active one.
#include <cstdlib>

#include "attention/kernels.h"
#include "cpu/level_tables.h"

namespace lh::attn {

namespace {

cpu::LevelTables<AttnKernels> make_tables() {
    cpu::LevelTables<AttnKernels> t({generic::fill, LH_LEVEL_FILL(avx2::fill), LH_LEVEL_FILL(avx512::fill),
                                     LH_LEVEL_FILL(avx512bf16::fill)});
    // LONGHEADS_BF16_DOT=0 keeps bf16 keys on the f32 FMA path of the avx512 level
    // (side-by-side measurements, checks).
    const char *e = std::getenv("LONGHEADS_BF16_DOT");
    AttnKernels *top = t.mutable_at(cpu::Isa::Avx512Bf16);
    if (top != nullptr && e != nullptr && e[0] == '0') top->bf16.tile_scores = t.at(cpu::Isa::Avx512)->bf16.tile_scores;
    return t;
}

const cpu::LevelTables<AttnKernels> &tables() {
    static const cpu::LevelTables<AttnKernels> t = make_tables();
    return t;
}

}  // namespace

const AttnKernels *kernels_for(cpu::Isa isa) { return tables().at(isa); }

const AttnKernels &kernels() {
    static const AttnKernels &active = *kernels_for(cpu::active_isa());
    return active;
}

}  // namespace lh::attn
