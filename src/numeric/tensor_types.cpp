// ggml tensor element types: the traits table, IEEE half conversion and the dequantizers.
//
// Block layouts follow ggml (ggml-common.h). All blocks are read byte-wise (memcpy for the
// 16-bit fields) so a row may start at any address. Loops over a block's elements have fixed
// trip counts and no cross-iteration dependencies so that the compiler can vectorise them.
#include "numeric/tensor_types.h"

#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/error.h"
#include "numeric/dequant_low_bits.h"
#include "numeric/numeric_kernels.h"

namespace lh {

namespace {

// ---------------------------------------------------------------------------------------------
// Traits table, indexed by ggml type id. Ids ggml has retired (4, 5, 31-33, 36-38) stay empty.
// ---------------------------------------------------------------------------------------------

constexpr int64_t kQK_K = 256;

constexpr TensorTypeTraits kNone = {nullptr, 0, 0, false};

constexpr TensorTypeTraits kTraits[] = {
    /*  0 */ {"f32", 1, 4, true},
    /*  1 */ {"f16", 1, 2, true},
    /*  2 */ {"q4_0", 32, 2 + 16, true},
    /*  3 */ {"q4_1", 32, 2 + 2 + 16, true},
    /*  4 */ kNone,  // q4_2, removed from ggml
    /*  5 */ kNone,  // q4_3, removed from ggml
    /*  6 */ {"q5_0", 32, 2 + 4 + 16, true},
    /*  7 */ {"q5_1", 32, 2 + 2 + 4 + 16, true},
    /*  8 */ {"q8_0", 32, 2 + 32, true},
    /*  9 */ {"q8_1", 32, 2 + 2 + 32, false},
    /* 10 */ {"q2_K", kQK_K, 16 + 64 + 2 + 2, true},               // scales, qs, d, dmin
    /* 11 */ {"q3_K", kQK_K, 32 + 64 + 12 + 2, true},              // hmask, qs, scales, d
    /* 12 */ {"q4_K", kQK_K, 2 + 2 + 12 + 128, true},               // d, dmin, scales, qs
    /* 13 */ {"q5_K", kQK_K, 2 + 2 + 12 + 32 + 128, true},          // d, dmin, scales, qh, qs
    /* 14 */ {"q6_K", kQK_K, 128 + 64 + 16 + 2, true},              // ql, qh, scales, d
    /* 15 */ {"q8_K", kQK_K, 4 + 256 + 2 * 16, false},              // float d, qs, bsums
    /* 16 */ {"iq2_xxs", kQK_K, 2 + 2 * 32, false},                 // d, uint16 qs[32]
    /* 17 */ {"iq2_xs", kQK_K, 2 + 2 * 32 + 8, false},              // d, qs, scales
    /* 18 */ {"iq3_xxs", kQK_K, 2 + 96, false},                     // d, qs[3*QK_K/8]
    /* 19 */ {"iq1_s", kQK_K, 2 + 32 + 2 * 8, false},               // d, qs, uint16 qh[8]
    /* 20 */ {"iq4_nl", 32, 2 + 16, true},                         // d, qs
    /* 21 */ {"iq3_s", kQK_K, 2 + 64 + 8 + 32 + 4, false},          // d, qs, qh, signs, scales
    /* 22 */ {"iq2_s", kQK_K, 2 + 64 + 8 + 8, false},               // d, qs, qh, scales
    /* 23 */ {"iq4_xs", kQK_K, 2 + 2 + 4 + 128, true},             // d, scales_h, scales_l, qs
    /* 24 */ {"i8", 1, 1, false},
    /* 25 */ {"i16", 1, 2, false},
    /* 26 */ {"i32", 1, 4, false},
    /* 27 */ {"i64", 1, 8, false},
    /* 28 */ {"f64", 1, 8, false},
    /* 29 */ {"iq1_m", kQK_K, 32 + 16 + 8, false},                  // qs, qh, scales
    /* 30 */ {"bf16", 1, 2, true},
    /* 31 */ kNone,  // q4_0_4_4, removed from GGUF files
    /* 32 */ kNone,  // q4_0_4_8, removed
    /* 33 */ kNone,  // q4_0_8_8, removed
    /* 34 */ {"tq1_0", kQK_K, 48 + 4 + 2, false},                   // qs, qh, d
    /* 35 */ {"tq2_0", kQK_K, 64 + 2, false},                       // qs, d
    /* 36 */ kNone,  // iq4_nl_4_4, removed
    /* 37 */ kNone,  // iq4_nl_4_8, removed
    /* 38 */ kNone,  // iq4_nl_8_8, removed
    /* 39 */ {"mxfp4", 32, 1 + 16, false},                          // e8m0 e, qs
    /* 40 */ {"nvfp4", 64, 4 + 32, false},                          // 4 ue4m3 scales, qs
    /* 41 */ {"q1_0", 128, 2 + 16, false},                          // d, sign bits
};

constexpr uint32_t kTraitsCount = sizeof kTraits / sizeof kTraits[0];

// ---------------------------------------------------------------------------------------------
// Scalar helpers
// ---------------------------------------------------------------------------------------------

inline uint32_t f32_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

inline uint16_t load_u16(const uint8_t *p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Branch-free (selects by masks) so that loops over many halves vectorise.
inline float h2f(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7fffu;                   // exponent and mantissa
    const uint32_t normal = (em << 13) + 0x38000000u;  // rebias the exponent by 127 - 15
    // Exponent 31 (inf/NaN) must become 255: add the missing 128 - 16 to the rebiased exponent.
    const uint32_t inf_mask = 0u - static_cast<uint32_t>(em >= 0x7c00u);
    const uint32_t wide = normal + (inf_mask & 0x38000000u);
    // Subnormals (and zero) are mantissa * 2^-24, computed exactly in float: 0x3f000000 | m is
    // 0.5 + m * 2^-24.
    const uint32_t sub = f32_bits(f32_from_bits(0x3f000000u | em) - 0.5f);
    const uint32_t sub_mask = 0u - static_cast<uint32_t>(em < 0x0400u);
    return f32_from_bits(sign | (sub & sub_mask) | (wide & ~sub_mask));
}

inline float load_half(const uint8_t *p) { return h2f(load_u16(p)); }

// ---------------------------------------------------------------------------------------------
// Dequantizers. Each takes nb whole blocks.
// ---------------------------------------------------------------------------------------------

// The generic level's f16 rows (numeric_kernels.h); loops over h2f vectorise.
void f16_to_f32_plain(const void *src, float *dst, int64_t n) {
    const uint8_t *s = static_cast<const uint8_t *>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = h2f(load_u16(s + 2 * i));
}

void deq_f16(const uint8_t *src, float *dst, int64_t n) { numeric::kernels().f16_to_f32(src, dst, n); }

void deq_bf16(const uint8_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_from_bits(static_cast<uint32_t>(load_u16(src + 2 * i)) << 16);
}

// q4_0: d, qs[16]; element j = low nibble of qs[j], element j+16 = high nibble; (q - 8) * d.
void deq_q4_0(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 18, dst += 32) {
        const float d = load_half(src);
        const uint8_t *qs = src + 2;
        for (int j = 0; j < 16; ++j) {
            const int lo = qs[j] & 0x0f, hi = qs[j] >> 4;
            dst[j] = static_cast<float>(lo - 8) * d;
            dst[j + 16] = static_cast<float>(hi - 8) * d;
        }
    }
}

// q4_1: d, m, qs[16]; q * d + m.
void deq_q4_1(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 20, dst += 32) {
        const float d = load_half(src);
        const float m = load_half(src + 2);
        const uint8_t *qs = src + 4;
        for (int j = 0; j < 16; ++j) {
            const int lo = qs[j] & 0x0f, hi = qs[j] >> 4;
            dst[j] = static_cast<float>(lo) * d + m;
            dst[j + 16] = static_cast<float>(hi) * d + m;
        }
    }
}

// q5_0: d, qh (uint32 little endian: bit j is the fifth bit of element j), qs[16]; (q - 16) * d.
void deq_q5_0(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 22, dst += 32) {
        const float d = load_half(src);
        const uint32_t qh = load_u32(src + 2);
        const uint8_t *qs = src + 6;
        for (int j = 0; j < 16; ++j) {
            const int hi0 = static_cast<int>(((qh >> j) << 4) & 0x10u);
            const int hi1 = static_cast<int>((qh >> (j + 12)) & 0x10u);
            dst[j] = static_cast<float>(((qs[j] & 0x0f) | hi0) - 16) * d;
            dst[j + 16] = static_cast<float>(((qs[j] >> 4) | hi1) - 16) * d;
        }
    }
}

// q5_1: d, m, qh, qs[16]; q * d + m.
void deq_q5_1(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 24, dst += 32) {
        const float d = load_half(src);
        const float m = load_half(src + 2);
        const uint32_t qh = load_u32(src + 4);
        const uint8_t *qs = src + 8;
        for (int j = 0; j < 16; ++j) {
            const int hi0 = static_cast<int>(((qh >> j) << 4) & 0x10u);
            const int hi1 = static_cast<int>((qh >> (j + 12)) & 0x10u);
            dst[j] = static_cast<float>((qs[j] & 0x0f) | hi0) * d + m;
            dst[j + 16] = static_cast<float>((qs[j] >> 4) | hi1) * d + m;
        }
    }
}

// q8_0: d, int8 qs[32]; q * d.
void deq_q8_0(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 34, dst += 32) {
        const float d = load_half(src);
        const int8_t *qs = reinterpret_cast<const int8_t *>(src + 2);
        for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(qs[j]) * d;
    }
}

// q4_K: d, dmin, scales[12], qs[128]. Four chunks of 64 elements: chunk c takes qs[32c .. 32c+31],
// low nibbles are elements 64c + l (sub-block 2c), high nibbles 64c + 32 + l (sub-block 2c+1).
// Element = d * scale * q - dmin * min.
void deq_q4_K(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 144, dst += 256) {
        const float d = load_half(src);
        const float dmin = load_half(src + 2);
        uint8_t sc[8], mn[8];
        unpack_k4_scales(src + 4, sc, mn);
        const uint8_t *qs = src + 16;
        for (int c = 0; c < 4; ++c) {
            const float d1 = d * sc[2 * c], m1 = dmin * mn[2 * c];
            const float d2 = d * sc[2 * c + 1], m2 = dmin * mn[2 * c + 1];
            const uint8_t *q = qs + 32 * c;
            float *y = dst + 64 * c;
            for (int l = 0; l < 32; ++l) {
                y[l] = d1 * static_cast<float>(q[l] & 0x0f) - m1;
                y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - m2;
            }
        }
    }
}

// q5_K: d, dmin, scales[12], qh[32], qs[128]. As q4_K; the fifth bit of element 64c + l is bit 2c
// of qh[l], that of element 64c + 32 + l is bit 2c+1 of qh[l].
void deq_q5_K(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 176, dst += 256) {
        const float d = load_half(src);
        const float dmin = load_half(src + 2);
        uint8_t sc[8], mn[8];
        unpack_k4_scales(src + 4, sc, mn);
        const uint8_t *qh = src + 16;
        const uint8_t *qs = src + 48;
        for (int c = 0; c < 4; ++c) {
            const float d1 = d * sc[2 * c], m1 = dmin * mn[2 * c];
            const float d2 = d * sc[2 * c + 1], m2 = dmin * mn[2 * c + 1];
            const uint8_t *q = qs + 32 * c;
            float *y = dst + 64 * c;
            const int s1 = 2 * c, s2 = 2 * c + 1;
            for (int l = 0; l < 32; ++l) {
                const int h1 = ((qh[l] >> s1) & 1) << 4;
                const int h2 = ((qh[l] >> s2) & 1) << 4;
                y[l] = d1 * static_cast<float>((q[l] & 0x0f) | h1) - m1;
                y[l + 32] = d2 * static_cast<float>((q[l] >> 4) | h2) - m2;
            }
        }
    }
}

// q6_K: ql[128], qh[64], int8 scales[16], d. Two halves of 128 elements; half n uses ql[64n ..],
// qh[32n ..]; for l < 32:
//   element 128n + l      : low nibble of ql[l]      | bits 0-1 of qh[l] << 4
//   element 128n + 32 + l : low nibble of ql[l + 32] | bits 2-3 of qh[l] << 4
//   element 128n + 64 + l : high nibble of ql[l]     | bits 4-5 of qh[l] << 4
//   element 128n + 96 + l : high nibble of ql[l + 32]| bits 6-7 of qh[l] << 4
// value (q - 32) * d * scales[element / 16].
void deq_q6_K(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 210, dst += 256) {
        const uint8_t *ql = src;
        const uint8_t *qh = src + 128;
        const int8_t *scales = reinterpret_cast<const int8_t *>(src + 192);
        const float d = load_half(src + 208);
        for (int n = 0; n < 2; ++n) {
            for (int half = 0; half < 2; ++half) {
                const int8_t *sc = scales + 8 * n + half;
                const float s0 = d * sc[0], s1 = d * sc[2], s2 = d * sc[4], s3 = d * sc[6];
                const uint8_t *l0 = ql + 64 * n + 16 * half;
                const uint8_t *h0 = qh + 32 * n + 16 * half;
                float *y = dst + 128 * n + 16 * half;
                for (int l = 0; l < 16; ++l) {
                    const int a = l0[l], c = l0[l + 32], h = h0[l];
                    const int q1 = ((a & 0x0f) | ((h & 3) << 4)) - 32;
                    const int q2 = ((c & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
                    const int q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    const int q4 = ((c >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    y[l] = s0 * static_cast<float>(q1);
                    y[l + 32] = s1 * static_cast<float>(q2);
                    y[l + 64] = s2 * static_cast<float>(q3);
                    y[l + 96] = s3 * static_cast<float>(q4);
                }
            }
        }
    }
}

}  // namespace

void numeric::generic::fill(numeric::NumericKernels &t) { t.f16_to_f32 = f16_to_f32_plain; }

// The 8 six-bit scales and 8 six-bit mins of q4_K / q5_K, packed in 12 bytes:
//   bytes 0-3:  scale j (j < 4) in bits 0-5, bits 4-5 of scale j+4 in bits 6-7
//   bytes 4-7:  min j   (j < 4) in bits 0-5, bits 4-5 of min j+4   in bits 6-7
//   bytes 8-11: low 4 bits of scale j+4 in bits 0-3, low 4 bits of min j+4 in bits 4-7
void unpack_k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = static_cast<uint8_t>((q[j + 8] & 0x0f) | ((q[j] >> 6) << 4));
        mn[j + 4] = static_cast<uint8_t>((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}


const TensorTypeTraits *tensor_type_traits(uint32_t type) {
    if (type >= kTraitsCount || kTraits[type].name == nullptr) return nullptr;
    return &kTraits[type];
}

const char *tensor_type_name(uint32_t type) {
    if (const TensorTypeTraits *t = tensor_type_traits(type)) return t->name;
    // Unknown ids get an interned "type <id>" string that lives as long as the process. A file
    // can only name a handful of distinct ids before it is rejected, so this stays tiny.
    static std::mutex mutex;
    static std::map<uint32_t, std::string> names;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = names.find(type);
    if (it == names.end()) it = names.emplace(type, "type " + std::to_string(type)).first;
    return it->second.c_str();
}

size_t tensor_row_bytes(TensorType type, int64_t n) {
    const TensorTypeTraits *t = tensor_type_traits(static_cast<uint32_t>(type));
    if (t == nullptr || n <= 0) return 0;
    return static_cast<size_t>(n / t->block_elems) * t->block_bytes;
}

void dequantize_row(TensorType type, const void *src, float *dst, int64_t n) {
    const uint8_t *s = static_cast<const uint8_t *>(src);
    if (n <= 0) return;
    switch (type) {
        case TensorType::F32: std::memcpy(dst, s, static_cast<size_t>(n) * sizeof(float)); return;
        case TensorType::F16: deq_f16(s, dst, n); return;
        case TensorType::BF16: deq_bf16(s, dst, n); return;
        case TensorType::Q4_0: deq_q4_0(s, dst, n / 32); return;
        case TensorType::Q4_1: deq_q4_1(s, dst, n / 32); return;
        case TensorType::Q5_0: deq_q5_0(s, dst, n / 32); return;
        case TensorType::Q5_1: deq_q5_1(s, dst, n / 32); return;
        case TensorType::Q8_0: deq_q8_0(s, dst, n / 32); return;
        case TensorType::Q4_K: deq_q4_K(s, dst, n / kQK_K); return;
        case TensorType::Q5_K: deq_q5_K(s, dst, n / kQK_K); return;
        case TensorType::Q6_K: deq_q6_K(s, dst, n / kQK_K); return;
        case TensorType::Q2_K: numeric::dequantize_q2_K(s, dst, n / kQK_K); return;
        case TensorType::Q3_K: numeric::dequantize_q3_K(s, dst, n / kQK_K); return;
        case TensorType::IQ4_NL: numeric::dequantize_iq4_nl(s, dst, n / 32); return;
        case TensorType::IQ4_XS: numeric::dequantize_iq4_xs(s, dst, n / kQK_K); return;
        default: break;
    }
    fail(LH_ERROR_UNSUPPORTED,
         std::string("cannot convert tensors of type ") + tensor_type_name(static_cast<uint32_t>(type)) +
             " to float");
}

float half_to_float(uint16_t h) { return h2f(h); }

uint16_t float_to_half(float f) {
    const uint32_t bits = f32_bits(f);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    uint32_t a = bits & 0x7fffffffu;
    if (a > 0x7f800000u) {  // NaN: keep the top payload bits, force quiet
        return static_cast<uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    }
    if (a >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (a < 0x38800000u) {
        // Below 2^-14: a half subnormal (or zero). Adding 0.5 puts the value's 2^-24 units in the
        // low mantissa bits of a float with ulp 2^-24, so the FPU rounds to nearest even for us;
        // a result of 0x400 is the smallest normal, which is also the right encoding.
        const float r = f32_from_bits(a) + 0.5f;
        return static_cast<uint16_t>(sign | (f32_bits(r) - 0x3f000000u));
    }
    // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even; a carry
    // out of the mantissa correctly bumps the exponent (up to inf, excluded above).
    a += 0xc8000fffu + ((a >> 13) & 1u);  // 0xc8000000 = (15 - 127) << 23 modulo 2^32
    return static_cast<uint16_t>(sign | (a >> 13));
}

}  // namespace lh
