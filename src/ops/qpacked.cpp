#include "ops/qpacked.h"

#include <cstring>

#include "cpu/isa.h"
#include "numeric/iq4_levels.h"

namespace lh {
namespace qpacked {

namespace {

constexpr int64_t kGroup = 128;

inline bool per_32(Format f) { return f == Format::Q4_0 || f == Format::Q8_0 || f == Format::IQ4_NL; }

inline float half_at(const uint8_t *p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return half_to_float(h);
}

// Group g of a row of n elements holds min(128, n - 128 g) of them.
inline int64_t group_len(int64_t cols, int64_t start) { return cols - start < kGroup ? cols - start : kGroup; }

// Nibble plane of one group of n elements (values < 16): n / 2 bytes.
void pack_nibbles(const uint8_t *u, int64_t n, uint8_t *out) {
    const int64_t h = n / 2;
    for (int64_t j = 0; j < h; ++j) out[j] = static_cast<uint8_t>((u[j] & 0x0f) | (u[h + j] << 4));
}

void unpack_nibbles(const uint8_t *in, int64_t n, uint8_t *u) {
    const int64_t h = n / 2;
    for (int64_t j = 0; j < h; ++j) {
        u[j] = in[j] & 0x0f;
        u[h + j] = in[j] >> 4;
    }
}

// Block i of an interleaved span (Q4_K: sub-block i) from its 16 nibble bytes in ggml's order
// (byte m: elements m and 16 + m): run j at byte 64 j + 4 i.
void put_span_block(uint8_t *span, int64_t i, const uint8_t *nibbles) {
    for (int64_t j = 0; j < 4; ++j) std::memcpy(span + 64 * j + 4 * i, nibbles + 4 * j, 4);
}

// The 128 values from element `first` (a multiple of 128) of an interleaved Q4_0 span.
void q4_0_span_group(const uint8_t *span, int64_t first, uint8_t *u) {
    for (int64_t e = 0; e < kGroup; ++e) {
        const int64_t i = (first + e) / 32, m = (first + e) % 16;
        const uint8_t b = span[64 * (m / 4) + 4 * i + m % 4];
        u[e] = static_cast<uint8_t>((first + e) % 32 < 16 ? b & 0x0f : b >> 4);
    }
}

// ggml q4_K / q5_K element e (0..255) of a block: low nibble of qs[32 (e / 64) + e % 32] for
// e % 64 < 32, the high one otherwise.
inline int k4_nibble(const uint8_t *qs, int e) {
    const uint8_t b = qs[32 * (e / 64) + e % 32];
    return (e % 64) < 32 ? (b & 0x0f) : (b >> 4);
}

// The 256 element values (q, before offsets; IQ4_XS: the 4-bit indexes) of one ggml block of a
// 256-element type.
void k_block_values(Format f, const uint8_t *blk, uint8_t *u) {
    if (f == Format::IQ4_XS) {
        // sub-block s: element 32 s + j is the low nibble of qs[16 s + j], 32 s + 16 + j the high one
        const uint8_t *qs = blk + 8;
        for (int e = 0; e < 256; ++e) {
            const int s = e / 32, j = e % 32;
            u[e] = static_cast<uint8_t>(j < 16 ? (qs[16 * s + j] & 0x0f) : (qs[16 * s + j - 16] >> 4));
        }
        return;
    }
    if (f == Format::Q6_K) {
        const uint8_t *ql = blk, *qh = blk + 128;
        for (int n = 0; n < 2; ++n) {
            for (int l = 0; l < 32; ++l) {
                const int a = ql[64 * n + l], c = ql[64 * n + 32 + l], h = qh[32 * n + l];
                uint8_t *e = u + 128 * n;
                e[l] = static_cast<uint8_t>((a & 0x0f) | ((h & 3) << 4));
                e[32 + l] = static_cast<uint8_t>((c & 0x0f) | (((h >> 2) & 3) << 4));
                e[64 + l] = static_cast<uint8_t>((a >> 4) | (((h >> 4) & 3) << 4));
                e[96 + l] = static_cast<uint8_t>((c >> 4) | (((h >> 6) & 3) << 4));
            }
        }
        return;
    }
    const bool five = f == Format::Q5_K;
    const uint8_t *qs = blk + (five ? 48 : 16), *qh = blk + 16;
    for (int e = 0; e < 256; ++e) {
        int q = k4_nibble(qs, e);
        if (five) q |= ((qh[e % 32] >> (e / 32)) & 1) << 4;  // bit s of qh[l]: element 32 s + l
        u[e] = static_cast<uint8_t>(q);
    }
}

size_t ggml_block_bytes(Format f) {
    switch (f) {
        case Format::Q4_0: return 18;
        case Format::Q8_0: return 34;
        case Format::Q4_K: return 144;
        case Format::Q5_K: return 176;
        case Format::Q6_K: return 210;
        case Format::IQ4_NL: return 18;
        case Format::IQ4_XS: return 136;
        case Format::Q2_K: return 84;
        case Format::Q3_K: return 110;
    }
    return 0;
}

// Q2_K, Q3_K: the file's 2-bit plane (qs) is already the packed pair layout.
inline bool two_bit(Format f) { return f == Format::Q2_K || f == Format::Q3_K; }

}  // namespace

static_assert(kFormatCount == 9, "format tables below list every format");

bool format_for(TensorType type, int64_t cols, Format *out) {
    switch (type) {
        case TensorType::Q4_0: *out = Format::Q4_0; break;
        case TensorType::Q8_0: *out = Format::Q8_0; break;
        case TensorType::Q4_K: *out = Format::Q4_K; break;
        case TensorType::Q5_K: *out = Format::Q5_K; break;
        case TensorType::Q6_K: *out = Format::Q6_K; break;
        case TensorType::IQ4_NL: *out = Format::IQ4_NL; break;
        case TensorType::IQ4_XS: *out = Format::IQ4_XS; break;
        case TensorType::Q2_K: *out = Format::Q2_K; break;
        case TensorType::Q3_K: *out = Format::Q3_K; break;
        default: return false;
    }
    return cols > 0 && cols % super_block(*out) == 0;
}

bool keep_packed(Format f) {
    if (f == Format::IQ4_NL || f == Format::IQ4_XS || f == Format::Q2_K || f == Format::Q3_K)
        return cpu::active_isa() >= cpu::Isa::Avx2;
    return true;
}

const char *format_name(Format f) {
    static const char *const names[kFormatCount] = {"q4_0", "q8_0",   "q4_K", "q5_K", "q6_K",
                                                    "iq4_nl", "iq4_xs", "q2_K", "q3_K"};
    return names[static_cast<int32_t>(f)];
}

int64_t super_block(Format f) { return per_32(f) ? 32 : 256; }

int64_t quant_row_bytes(Format f, int64_t cols) {
    switch (f) {
        case Format::Q4_0:
        case Format::Q4_K:
        case Format::IQ4_NL:
        case Format::IQ4_XS: return cols / 2;
        case Format::Q8_0: return cols;
        case Format::Q5_K: return cols / 2 + cols / 8;
        case Format::Q6_K: return cols / 2 + cols / 4;
        case Format::Q2_K: return cols / 4;
        case Format::Q3_K: return cols / 4 + cols / 8;
    }
    return 0;
}

int64_t meta_row_bytes(Format f, int64_t cols) {
    switch (f) {
        case Format::Q4_0:
        case Format::Q8_0:
        case Format::IQ4_NL: return cols / 32 * 2;
        case Format::Q4_K:
        case Format::Q5_K: return cols / 256 * 16;
        case Format::Q6_K: return cols / 256 * 18;
        case Format::IQ4_XS: return cols / 256 * 8;
        case Format::Q2_K: return cols / 256 * 20;
        case Format::Q3_K: return cols / 256 * 14;
    }
    return 0;
}

namespace {

int64_t round_up_64(int64_t n) { return (n + 63) / 64 * 64; }

}  // namespace

RowLayout row_layout(Format f, int64_t cols) {
    RowLayout l;
    l.meta_bytes = meta_row_bytes(f, cols);
    l.quant_bytes = quant_row_bytes(f, cols);
    const int64_t dense = l.meta_bytes + l.quant_bytes;
    const int64_t lined = round_up_64(round_up_64(l.meta_bytes) + l.quant_bytes);
    // Padded to lines where that costs at most 1/32 of the row's bytes; narrow rows stay dense.
    const bool pad = (lined - dense) * 32 <= dense;
    l.quant_offset = pad ? round_up_64(l.meta_bytes) : l.meta_bytes;
    l.stride = pad ? lined : dense;
    return l;
}

int64_t row_stride(Format f, int64_t cols) { return row_layout(f, cols).stride; }

void pack_matrix_row(Format f, const void *src, int64_t cols, uint8_t *row) {
    const RowLayout l = row_layout(f, cols);
    pack_row(f, src, cols, row + l.quant_offset, row);
    // Only the padding is zeroed: the planes are written once, by pack_row.
    std::memset(row + l.meta_bytes, 0, static_cast<size_t>(l.quant_offset - l.meta_bytes));
    const int64_t end = l.quant_offset + l.quant_bytes;
    std::memset(row + end, 0, static_cast<size_t>(l.stride - end));
}

PackedView view_of(Format f, int64_t cols, const uint8_t *data) {
    PackedView v;
    v.format = f;
    v.cols = cols;
    v.data = data;
    const RowLayout l = row_layout(f, cols);
    v.row_stride = l.stride;
    v.quant_offset = l.quant_offset;
    return v;
}

void pack_row(Format f, const void *src_row, int64_t cols, uint8_t *quants, uint8_t *meta) {
    const uint8_t *src = static_cast<const uint8_t *>(src_row);
    const size_t bb = ggml_block_bytes(f);
    if (per_32(f)) {  // IQ4_NL's block is Q4_0's: f16 d, then the nibbles in the same order
        uint8_t u[kGroup];
        const int64_t spans = f == Format::Q4_0 ? q4_0_spanned(cols) / kQ4_0Span : 0;
        for (int64_t sp = 0; sp < spans; ++sp) {
            for (int64_t i = 0; i < 16; ++i) {
                const uint8_t *blk = src + static_cast<size_t>(16 * sp + i) * bb;
                std::memcpy(meta + 2 * (16 * sp + i), blk, 2);
                put_span_block(quants + kQ4_0SpanBytes * sp, i, blk + 2);
            }
        }
        for (int64_t g = spans * kQ4_0Span; g < cols; g += kGroup) {
            const int64_t n = group_len(cols, g);
            for (int64_t b = 0; b < n / 32; ++b) {
                const uint8_t *blk = src + static_cast<size_t>(g / 32 + b) * bb;
                std::memcpy(meta + 2 * (g / 32 + b), blk, 2);
                for (int j = 0; j < 32; ++j) {
                    u[32 * b + j] = f == Format::Q8_0 ? static_cast<uint8_t>(static_cast<int8_t>(blk[2 + j]) + 128)
                                    : j < 16           ? static_cast<uint8_t>(blk[2 + j] & 0x0f)
                                                       : static_cast<uint8_t>(blk[2 + j - 16] >> 4);
                }
            }
            if (f == Format::Q8_0) std::memcpy(quants + g, u, static_cast<size_t>(n));
            else pack_nibbles(u, n, quants + g / 2);
        }
        return;
    }
    if (two_bit(f)) {
        for (int64_t sb = 0; sb < cols / 256; ++sb) {
            const uint8_t *blk = src + static_cast<size_t>(sb) * bb;
            if (f == Format::Q2_K) {
                std::memcpy(quants + 64 * sb, blk + 16, 64);    // qs
                std::memcpy(meta + 20 * sb, blk, 16);           // scales and mins
                std::memcpy(meta + 20 * sb + 16, blk + 80, 4);  // d, dmin
            } else {
                std::memcpy(quants + 64 * sb, blk + 32, 64);        // qs
                std::memcpy(quants + cols / 4 + 32 * sb, blk, 32);  // hmask
                std::memcpy(meta + 14 * sb, blk + 96, 14);          // 12 scale bytes, d
            }
        }
        return;
    }
    uint8_t u[256];
    const int64_t spanned = spanned_cols(f, cols);
    for (int64_t sb = 0; sb < cols / 256; ++sb) {
        const uint8_t *blk = src + static_cast<size_t>(sb) * bb;
        k_block_values(f, blk, u);
        if (256 * sb < spanned) {  // Q4_K: sub-block i of the span where Q4_0's block i would be
            uint8_t *span = quants + (256 * sb) / kQ4_0Span * kQ4_0SpanBytes;
            for (int64_t s = 0; s < 8; ++s) {
                uint8_t nibbles[16];
                pack_nibbles(u + 32 * s, 32, nibbles);
                put_span_block(span, (256 * sb) % kQ4_0Span / 32 + s, nibbles);
            }
        } else {
            pack_nibbles(u, kGroup, quants + 128 * sb);
            pack_nibbles(u + kGroup, kGroup, quants + 128 * sb + 64);
        }
        if (f == Format::IQ4_XS) {
            std::memcpy(meta + 8 * sb, blk, 8);  // d, scales_h, scales_l
        } else if (f == Format::Q6_K) {
            std::memcpy(meta + 18 * sb, blk + 192, 18);  // 16 int8 scales, f16 d
            uint8_t *pairs = quants + cols / 2 + 64 * sb;  // 32 bytes per group of 128
            for (int j = 0; j < 64; ++j) {
                const uint8_t *e = u + kGroup * (j / 32) + j % 32;
                pairs[j] = static_cast<uint8_t>((e[0] >> 4) | ((e[32] >> 4) << 2) | ((e[64] >> 4) << 4) |
                                                ((e[96] >> 4) << 6));
            }
        } else {
            std::memcpy(meta + 16 * sb, blk, 16);  // d, dmin, the 12 scale bytes
            if (f == Format::Q5_K) {
                uint8_t *high = quants + cols / 2 + 32 * sb;
                std::memset(high, 0, 32);
                for (int e = 0; e < 256; ++e) high[e % 32] = static_cast<uint8_t>(high[e % 32] | (((u[e] >> 4) & 1) << (e / 32)));
            }
        }
    }
}

void order_for_q4_0(const int8_t *q, int64_t cols, int8_t *out) {
    const int64_t spanned = q4_0_spanned(cols);
    for (int64_t s = 0; s < spanned; s += kQ4_0Span)
        for (int64_t i = 0; i < 16; ++i)
            for (int64_t h = 0; h < 2; ++h)
                for (int64_t j = 0; j < 4; ++j)
                    std::memcpy(out + s + 64 * (2 * j + h) + 4 * i, q + s + 32 * i + 16 * h + 4 * j, 4);
    std::memcpy(out + spanned, q + spanned, static_cast<size_t>(cols - spanned));
}

void quantize_k_activations(const float *x, int64_t cols, KActivations &out) {
    ops::kernels().quantize_k_activations(x, cols, out);
}

void unpack_row(Format f, const uint8_t *quants, const uint8_t *meta, int64_t cols, float *out) {
    uint8_t u[256];
    if (per_32(f)) {
        const int64_t spanned = f == Format::Q4_0 ? q4_0_spanned(cols) : 0;
        for (int64_t g = 0; g < cols; g += kGroup) {
            const int64_t n = group_len(cols, g);
            if (g < spanned) q4_0_span_group(quants + g / kQ4_0Span * kQ4_0SpanBytes, g % kQ4_0Span, u);
            else if (f == Format::Q8_0) std::memcpy(u, quants + g, static_cast<size_t>(n));
            else unpack_nibbles(quants + g / 2, n, u);
            for (int64_t b = 0; b < n / 32; ++b) {
                const float d = half_at(meta + 2 * (g / 32 + b));
                const int zero = f == Format::Q8_0 ? 128 : 8;
                for (int j = 0; j < 32; ++j) {
                    const int i = u[32 * b + j];
                    out[g + 32 * b + j] =
                        f == Format::IQ4_NL ? d * static_cast<float>(kIq4Levels[i]) : static_cast<float>(i - zero) * d;
                }
            }
        }
        return;
    }
    for (int64_t sb = 0; sb < cols / 256 && two_bit(f); ++sb) {
        const uint8_t *pairs = quants + 64 * sb, *hmask = quants + cols / 4 + 32 * sb;
        float *y = out + 256 * sb;
        for (int e0 = 0; e0 < 256; e0 += 16) {  // as numeric/dequant_low_bits.cpp, per 16 elements
            const int s = e0 / 16, n = e0 / 128, j = (e0 % 128) / 32, l0 = e0 % 32;
            if (f == Format::Q2_K) {
                const uint8_t *m = meta + 20 * sb;
                const float dl = half_at(m + 16) * static_cast<float>(m[s] & 0x0f);
                const float ml = half_at(m + 18) * static_cast<float>(m[s] >> 4);
                for (int l = l0; l < l0 + 16; ++l)
                    y[e0 + l - l0] = dl * static_cast<float>((pairs[32 * n + l] >> (2 * j)) & 3) - ml;
            } else {
                const uint8_t *m = meta + 14 * sb;
                const int low = s < 8 ? (m[s] & 0x0f) : (m[s - 8] >> 4), high = (m[8 + s % 4] >> (2 * (s / 4))) & 3;
                const float dl = half_at(m + 12) * static_cast<float>((low | (high << 4)) - 32);
                for (int l = l0; l < l0 + 16; ++l) {
                    const int q = ((pairs[32 * n + l] >> (2 * j)) & 3) - (((hmask[l] >> (4 * n + j)) & 1) ? 0 : 4);
                    y[e0 + l - l0] = dl * static_cast<float>(q);
                }
            }
        }
    }
    const int64_t spanned = spanned_cols(f, cols);
    for (int64_t sb = 0; sb < cols / 256 && !two_bit(f); ++sb) {
        if (256 * sb < spanned) {
            const uint8_t *span = quants + (256 * sb) / kQ4_0Span * kQ4_0SpanBytes;
            q4_0_span_group(span, (256 * sb) % kQ4_0Span, u);
            q4_0_span_group(span, (256 * sb) % kQ4_0Span + kGroup, u + kGroup);
        } else {
            unpack_nibbles(quants + 128 * sb, kGroup, u);
            unpack_nibbles(quants + 128 * sb + 64, kGroup, u + kGroup);
        }
        float *y = out + 256 * sb;
        if (f == Format::IQ4_XS) {
            const uint8_t *m = meta + 8 * sb;
            const float d = half_at(m);
            const unsigned scales_h = static_cast<unsigned>(m[2]) | (static_cast<unsigned>(m[3]) << 8);
            for (int s = 0; s < 8; ++s) {
                const int ls = ((m[4 + s / 2] >> (4 * (s % 2))) & 0x0f) | (((scales_h >> (2 * s)) & 3) << 4);
                const float dl = d * static_cast<float>(ls - 32);
                for (int j = 32 * s; j < 32 * s + 32; ++j) y[j] = dl * static_cast<float>(kIq4Levels[u[j]]);
            }
            continue;
        }
        if (f == Format::Q6_K) {
            const uint8_t *m = meta + 18 * sb;
            const uint8_t *pairs = quants + cols / 2 + 64 * sb;
            const float d = half_at(m + 16);
            for (int e = 0; e < 256; ++e) {
                const int k = (e % kGroup) / 32;  // which bit pair of the byte
                const int q = u[e] | (((pairs[32 * (e / kGroup) + e % 32] >> (2 * k)) & 3) << 4);
                const float s = d * static_cast<float>(static_cast<int8_t>(m[e / 16]));
                y[e] = s * static_cast<float>(q - 32);
            }
            continue;
        }
        const uint8_t *m = meta + 16 * sb;
        const float d = half_at(m), dmin = half_at(m + 2);
        uint8_t sc[8], mn[8];
        unpack_k4_scales(m + 4, sc, mn);
        const uint8_t *high = quants + cols / 2 + 32 * sb;
        for (int e = 0; e < 256; ++e) {
            int q = u[e];
            if (f == Format::Q5_K) q |= ((high[e % 32] >> (e / 32)) & 1) << 4;
            const float d1 = d * sc[e / 32], m1 = dmin * mn[e / 32];
            y[e] = d1 * static_cast<float>(q) - m1;
        }
    }
}

}  // namespace qpacked
}  // namespace lh
