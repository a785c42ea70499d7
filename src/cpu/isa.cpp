#include "cpu/isa.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define LH_X86 1
#endif

namespace lh {
namespace cpu {

namespace {

#if defined(LH_X86)
struct Regs {
    uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t sub) {
    Regs r;
    if (!__get_cpuid_count(leaf, sub, &r.a, &r.b, &r.c, &r.d)) r = Regs{};
    return r;
}

// Register state the operating system saves on context switches (XCR0).
uint64_t os_saved_state() {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool bit(uint32_t word, int n) { return ((word >> n) & 1u) != 0; }

Isa detect() {
    const Regs l1 = cpuid(1, 0);
    if (!bit(l1.c, 27)) return Isa::Generic;  // no OSXSAVE: the OS does not save AVX state
    const uint64_t xcr0 = os_saved_state();
    const bool ymm_saved = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
    const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;   // plus opmask and the upper ZMM state
    const Regs l7 = cpuid(7, 0);
    const Regs l7s1 = cpuid(7, 1);
    const bool avx2 = ymm_saved && bit(l1.c, 28) && bit(l1.c, 12) && bit(l1.c, 29) && bit(l7.b, 5);  // AVX FMA F16C AVX2
    if (!avx2) return Isa::Generic;
    const bool avx512 = zmm_saved && bit(l7.b, 16) && bit(l7.b, 17) && bit(l7.b, 30) && bit(l7.b, 31);  // F DQ BW VL
    if (!avx512) return Isa::Avx2;
    const bool bf16_vnni = bit(l7s1.a, 5) && bit(l7.c, 11);  // AVX512_BF16, AVX512_VNNI
    return bf16_vnni ? Isa::Avx512Bf16 : Isa::Avx512;
}
#else
Isa detect() { return Isa::Generic; }
#endif

struct Choice {
    Isa active;
    bool forced;
};

Choice choose() {
    const Isa best = detected_isa();
    Isa wanted = best;
    const char *env = std::getenv("LONGHEADS_CPU");
    if (env == nullptr || *env == '\0' || !parse_isa(env, &wanted)) return {best, false};
    // A level above what the CPU runs would crash: only lower levels are honoured.
    if (static_cast<int32_t>(wanted) >= static_cast<int32_t>(best)) return {best, false};
    return {wanted, true};
}

const Choice &choice() {
    static const Choice c = choose();
    return c;
}

constexpr const char *kNames[kIsaCount] = {"generic", "avx2", "avx512", "avx512_bf16"};

}  // namespace

const char *isa_name(Isa isa) {
    const int32_t i = static_cast<int32_t>(isa);
    return i >= 0 && i < kIsaCount ? kNames[i] : "unknown";
}

bool parse_isa(const char *text, Isa *out) {
    if (text == nullptr) return false;
    for (int32_t i = 0; i < kIsaCount; ++i) {
        if (std::strcmp(text, kNames[i]) == 0) {
            *out = static_cast<Isa>(i);
            return true;
        }
    }
    return false;
}

Isa detected_isa() {
    static const Isa isa = detect();
    return isa;
}

bool isa_runs_here(Isa isa) { return static_cast<int32_t>(isa) <= static_cast<int32_t>(detected_isa()); }

Isa active_isa() { return choice().active; }

bool isa_forced() { return choice().forced; }

}  // namespace cpu
}  // namespace lh
