// Layout of the cached keys and values, and the element reads every kernel shares.
//
// Included inside a namespace, by kernels.h (lh::attn) and by each per-level kernel file
// (lh::attn::avx2, ...): each level gets its own copies, so the linker never mixes code compiled
// for different instruction sets (see kernel_table.h). No #include here; needs <cstdint> and
// <type_traits> before the namespace.
//
// Keys live in tiles of 16 tokens stored dimension-major ([d][16] per tile), so one vector load
// brings one dimension of 16 keys and the scores of many queries against 16 keys need no
// horizontal sums; values are plain rows.

constexpr int32_t kTile = 16;    // tokens per key tile
constexpr int32_t kBlock = 128;  // tokens per online-softmax block

// Cache element types: float, bfloat16 bits (uint16_t) or int8 with one float scale per token
// and head. An int8 key tile is [d][16] int8 followed by the 16 tokens' scales; an int8 value row
// is d int8 followed by its scale. So every type's tile and row strides are `row_elems(d)`
// elements per token.
template <class T> constexpr int64_t row_elems(int32_t d) {
    return std::is_same<T, int8_t>::value ? static_cast<int64_t>(d) + 4 : d;
}

// Offset of dimension x of token t in a tiled key block.
template <class T = float> inline int64_t tile_offset(int64_t t, int32_t x, int32_t d) {
    return (t / kTile) * kTile * row_elems<T>(d) + static_cast<int64_t>(x) * kTile + t % kTile;
}

inline float to_f32(float x) { return x; }
inline float to_f32(uint16_t x) {
    const uint32_t bits = static_cast<uint32_t>(x) << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}
inline float to_f32(int8_t x) { return static_cast<float>(x); }

inline float load_scale(const int8_t *p) {
    float f;
    __builtin_memcpy(&f, p, sizeof f);
    return f;
}

// Dimension x of the cached key of token t (the token's scale applied for int8).
template <class T> inline float key_value(const T *key_tiles, int64_t t, int32_t x, int32_t d) {
    const float v = to_f32(key_tiles[tile_offset<T>(t, x, d)]);
    if constexpr (std::is_same<T, int8_t>::value)
        return v * load_scale(key_tiles + (t / kTile) * kTile * row_elems<T>(d) + kTile * d + 4 * (t % kTile));
    else
        return v;
}

// The 16 scales of an int8 key tile (after its [d][16] elements).
inline const float *tile_scales(const int8_t *tile, int32_t d) {
    return reinterpret_cast<const float *>(tile + static_cast<int64_t>(kTile) * d);
}

// Value row of token t and its scale (1 for float and bf16).
template <class T> inline const T *value_row(const T *values, int64_t t, int32_t d) { return values + t * row_elems<T>(d); }
template <class T> inline float value_scale(const T *row, int32_t d) {
    if constexpr (std::is_same<T, int8_t>::value) return load_scale(row + d);
    else return 1.0f;
}

// Tokens [lo, hi) of the tile starting at token `base` that lie in [a, b).
inline int32_t tile_lo(int64_t base, int64_t a) { return static_cast<int32_t>((a > base ? a : base) - base); }
inline int32_t tile_hi(int64_t base, int64_t b) { return static_cast<int32_t>((b < base + kTile ? b : base + kTile) - base); }
