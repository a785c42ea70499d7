// ggml tensor element types: block geometry and conversion of rows to float.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lh {

// Values are ggml's type ids as stored in GGUF tensor infos.
enum class TensorType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ4_NL = 20,
    IQ4_XS = 23,
    BF16 = 30,
};

struct TensorTypeTraits {
    const char *name;     // ggml's name: "f32", "q4_K", ...
    int64_t block_elems;  // elements per block (1 for plain floats)
    size_t block_bytes;   // bytes per block
    bool can_dequantize;  // this library can read it
};

// Traits of a ggml type id, or nullptr when the id is not a ggml type we know of.
const TensorTypeTraits *tensor_type_traits(uint32_t type);

// Name for messages: the ggml name, or "type <id>" for unknown ids. Static storage.
const char *tensor_type_name(uint32_t type);

// Bytes of a row of n elements; n must be a multiple of block_elems (caller checks).
size_t tensor_row_bytes(TensorType type, int64_t n);

// Convert n elements (n a multiple of the block size) starting at src to float.
void dequantize_row(TensorType type, const void *src, float *dst, int64_t n);

// The 8 six-bit scales and 8 six-bit mins packed in the 12-byte field of a q4_K / q5_K block.
void unpack_k4_scales(const uint8_t *packed, uint8_t sc[8], uint8_t mn[8]);

// IEEE half / bfloat16 helpers shared by the dequantizers and the kernels.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
inline float bf16_to_float(uint16_t b) {
    uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}
// Round to nearest even (NaN kept quiet).
inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    __builtin_memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>(bits >> 16);
}

}  // namespace lh
