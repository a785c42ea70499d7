// Inner loops over the cache. Keys live in tiles of 16 tokens stored dimension-major
// ([d][16] per tile), so one vector load brings one dimension of 16 keys and the scores of many
// queries against 16 keys need no horizontal sums; values are plain rows.
// AVX-512 paths with plain-loop fallbacks (same results up to rounding).
#pragma once

#include <cstdint>
#include <type_traits>

#if defined(__AVX512F__)
#include "common/simd.h"
#endif

#include "numeric/tensor_types.h"

namespace lh::attn {

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
inline float to_f32(uint16_t x) { return bf16_to_float(x); }
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

// Value row of token t and its scale (1 for float and bf16).
template <class T> inline const T *value_row(const T *values, int64_t t, int32_t d) { return values + t * row_elems<T>(d); }
template <class T> inline float value_scale(const T *row, int32_t d) {
    if constexpr (std::is_same<T, int8_t>::value) return load_scale(row + d);
    else return 1.0f;
}

#if defined(__AVX512F__)
inline __m512 load16(const float *p) { return _mm512_loadu_ps(p); }
inline __m512 load16(const uint16_t *p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 load16(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))));
}

// e^x, ~1 ulp (Cephes expf polynomial); x <= 88.
inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}
#endif

// Row dot product (chunk keys, selection).
template <class T> inline float dot(const float *q, const T *k, int32_t d) {
#if defined(__AVX512F__)
    if ((d & 15) == 0) {
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int32_t i = 0;
        for (; i + 32 <= d; i += 32) {
            acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load16(k + i), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), load16(k + i + 16), acc1);
        }
        if (i < d) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load16(k + i), acc0);
        return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    }
#endif
    float s = 0.0f;
    for (int32_t i = 0; i < d; ++i) s += q[i] * to_f32(k[i]);
    return s;
}

// out += a * v
template <class T> inline void axpy(float a, const T *v, float *out, int32_t d) {
#if defined(__AVX512F__)
    if ((d & 15) == 0) {
        const __m512 av = _mm512_set1_ps(a);
        for (int32_t i = 0; i < d; i += 16)
            _mm512_storeu_ps(out + i, _mm512_fmadd_ps(av, load16(v + i), _mm512_loadu_ps(out + i)));
        return;
    }
#endif
    for (int32_t i = 0; i < d; ++i) out[i] += a * to_f32(v[i]);
}

// s[g * stride + (j - a)] = q_g . key_j for g < G, j in [a, b). q: G rows of d.
// s must have kTile floats of slack before s[0] (tiles are stored whole, masked).
template <class T>
void tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G, float *s,
                 int64_t stride);

// o[g][0..d) += sum_{j in [a, a+n)} p[g * stride + j - a] * v_j for g < G (v: rows of d).
template <class T>
void accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride, int32_t G,
                       float *o);

// p[0..n) <- exp(p - mx); returns the sum.
float exp_sum(float *p, int32_t n, float mx);
float max_of(const float *p, int32_t n);

// One contiguous run of cached tokens [start, start+count) of a KV head, scored against G
// queries q (G rows of d: already rotated so that q . k gives the right relative position, and
// already multiplied by 1/sqrt(d)).
struct Segment {
    int32_t start;
    int32_t count;
    const float *q;
};

// Work buffers of attend(): scores (kTile slack + G * kBlock + kTile slack), m, l (G), o (G*d).
struct AttendBuffers {
    float *scores;
    float *m, *l, *o;
};

// Softmax attention of G queries over the concatenated segments (online softmax in blocks of
// kBlock tokens): out[g][0..d) = sum_i p_gi v_i, out rows contiguous.
template <class T>
void attend(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment *segs, int32_t n_seg,
            const AttendBuffers &buf, float *out);

// The same in steps, for callers whose queries do not all see the same segments:
// attend_begin() clears G rows of state; attend_segment() folds one segment into the rows
// [row, row+G) (scores buffer shared); attend_end() writes row g to out + g * out_stride.
void attend_begin(int32_t d, int32_t G, const AttendBuffers &buf);
template <class T>
void attend_segment(const T *key_tiles, const T *values, int32_t d, int32_t G, const Segment &sg,
                    const AttendBuffers &buf, int32_t row);
void attend_end(int32_t d, int32_t G, const AttendBuffers &buf, float *out, int64_t out_stride);

}  // namespace lh::attn
