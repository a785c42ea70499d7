// Dequantizers of the low-bit ggml types people download in Q2_K / Q3_K_M / IQ4 files: q2_K,
// q3_K, iq4_nl and iq4_xs. Block layouts as ggml-common.h defines them; the float steps are
// ggml's (dequantize_row_*), so the values are the ones llama.cpp reads.
#include "numeric/dequant_low_bits.h"

#include <cstring>

#include "numeric/iq4_levels.h"
#include "numeric/tensor_types.h"

namespace lh {
namespace numeric {

namespace {

inline float half_at(const uint8_t *p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return half_to_float(h);
}

// 32 elements of an iq4 block: element j is the low nibble of qs[j], element 16 + j the high one.
inline void iq4_32(const uint8_t *qs, float d, float *y) {
    for (int j = 0; j < 16; ++j) {
        y[j] = d * static_cast<float>(kIq4Levels[qs[j] & 0x0f]);
        y[j + 16] = d * static_cast<float>(kIq4Levels[qs[j] >> 4]);
    }
}

}  // namespace

// q2_K: scales[16], qs[64], f16 d, f16 dmin (84 bytes / 256). Element e = 128 n + 32 j + l
// (l < 32) is bits 2j, 2j + 1 of qs[32 n + l]; scales[e / 16] holds its scale (low nibble) and
// min (high nibble): value d sc q - dmin mn.
void dequantize_q2_K(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 84, dst += 256) {
        const uint8_t *scales = src, *qs = src + 16;
        const float d = half_at(src + 80), dmin = half_at(src + 82);
        for (int e0 = 0; e0 < 256; e0 += 16) {
            const int n = e0 / 128, j = (e0 % 128) / 32, l0 = e0 % 32;
            const float dl = d * static_cast<float>(scales[e0 / 16] & 0x0f);
            const float ml = dmin * static_cast<float>(scales[e0 / 16] >> 4);
            for (int l = l0; l < l0 + 16; ++l)
                dst[e0 + l - l0] = dl * static_cast<float>((qs[32 * n + l] >> (2 * j)) & 3) - ml;
        }
    }
}

// q3_K: hmask[32], qs[64], scales[12], f16 d (110 bytes / 256). Element e = 128 n + 32 j + l has
// its low 2 bits as q2_K's, and 4 is subtracted unless bit 4n + j of hmask[l] is set. Its 6-bit
// scale s = e / 16 (minus 32) has the low 4 bits in scales[s % 8] (low nibble for s < 8, high
// otherwise) and the high 2 bits at bits 2 (s / 4) of scales[8 + s % 4].
void dequantize_q3_K(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 110, dst += 256) {
        const uint8_t *hmask = src, *qs = src + 32, *sc = src + 96;
        const float d = half_at(src + 108);
        for (int e0 = 0; e0 < 256; e0 += 16) {
            const int s = e0 / 16, n = e0 / 128, j = (e0 % 128) / 32, l0 = e0 % 32;
            const int low = s < 8 ? (sc[s] & 0x0f) : (sc[s - 8] >> 4);
            const int high = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
            const float dl = d * static_cast<float>((low | (high << 4)) - 32);
            const int bit = 4 * n + j;
            for (int l = l0; l < l0 + 16; ++l) {
                const int q = ((qs[32 * n + l] >> (2 * j)) & 3) - (((hmask[l] >> bit) & 1) ? 0 : 4);
                dst[e0 + l - l0] = dl * static_cast<float>(q);
            }
        }
    }
}

// iq4_nl: f16 d, qs[16] (18 bytes / 32); value d level[nibble].
void dequantize_iq4_nl(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 18, dst += 32) iq4_32(src + 2, half_at(src), dst);
}

// iq4_xs: f16 d, u16 scales_h, scales_l[4], qs[128] (136 bytes / 256). Sub-block i of 32 has the
// 6-bit scale (nibble i % 2 of scales_l[i / 2]) | (bits 2i, 2i + 1 of scales_h) << 4, minus 32,
// and its elements as iq4_nl's in qs[16 i ..].
void dequantize_iq4_xs(const uint8_t *src, float *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b, src += 136, dst += 256) {
        const float d = half_at(src);
        const unsigned scales_h = static_cast<unsigned>(src[2]) | (static_cast<unsigned>(src[3]) << 8);
        const uint8_t *scales_l = src + 4, *qs = src + 8;
        for (int i = 0; i < 8; ++i) {
            const int ls = ((scales_l[i / 2] >> (4 * (i % 2))) & 0x0f) | (((scales_h >> (2 * i)) & 3) << 4);
            iq4_32(qs + 16 * i, d * static_cast<float>(ls - 32), dst + 32 * i);
        }
    }
}

}  // namespace numeric
}  // namespace lh
