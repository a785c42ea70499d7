// Instruction-set levels of the hand-written kernels, and the one this process uses.
//
// The library is built for baseline x86-64; the kernels that matter for speed are compiled once
// more per level below (files named *_avx2.cpp, *_avx512.cpp, *_avx512bf16.cpp get that level's
// -m flags, see cmake/LongheadsIsa.cmake) and picked at run time from a table per module
// (attention/kernel_table.h, ops/ops_kernels.h, numeric/numeric_kernels.h).
// Declarations only (no inline functions): the per-level kernel files may include this.
#pragma once

#include <cstdint>

namespace lh {
namespace cpu {

// Ordered: each level includes the ones before it.
enum class Isa : int32_t {
    Generic = 0,     // plain C++ for baseline x86-64 (SSE2), also the reference in tests
    Avx2 = 1,        // AVX2 + FMA + F16C (Intel Haswell, AMD Zen and later)
    Avx512 = 2,      // AVX-512 F/BW/VL/DQ (Intel Skylake-SP, Ice Lake; AMD Zen 4)
    Avx512Bf16 = 3,  // plus AVX512-BF16 and AVX512-VNNI (Intel Cooper Lake, Sapphire Rapids; Zen 4)
};
constexpr int32_t kIsaCount = 4;

// "generic", "avx2", "avx512", "avx512_bf16" (the LONGHEADS_CPU spellings).
const char *isa_name(Isa isa);
// Parses a LONGHEADS_CPU value; false for anything else.
bool parse_isa(const char *text, Isa *out);

// The highest level this CPU and operating system run (cpuid and the OS-enabled register state).
Isa detected_isa();
// The level the kernels use: detected_isa(), or LONGHEADS_CPU if that names a lower level.
// Read once per process.
Isa active_isa();
// True when active_isa() was lowered by LONGHEADS_CPU.
bool isa_forced();
// True when `isa` can run here (isa <= detected_isa()); tests run every such level.
bool isa_runs_here(Isa isa);

}  // namespace cpu
}  // namespace lh
