// Plain-loop kernels (contracts in kernel_table.h): the generic level, and the cases a vector
// level leaves to plain loops (head sizes that are not a multiple of its vector width).
// Included inside a level's namespace after tile_layout.inl, like it; builtins only, no std::.

template <class T>
inline void scalar_tile_scores(const T *key_tiles, int32_t d, int64_t a, int64_t b, const float *q, int32_t G,
                               float *s, int64_t stride) {
    for (int32_t g = 0; g < G; ++g)
        for (int64_t j = a; j < b; ++j) {
            float acc = 0.0f;
            for (int32_t x = 0; x < d; ++x) acc += q[g * d + x] * key_value(key_tiles, j, x, d);
            s[g * stride + (j - a)] = acc;
        }
}

template <class T>
inline void scalar_accumulate_values(const T *values, int32_t d, int64_t a, int32_t n, const float *p, int64_t stride,
                                     int32_t G, float *o) {
    for (int32_t j = 0; j < n; ++j) {
        const T *row = value_row(values, a + j, d);
        const float vs = value_scale(row, d);
        for (int32_t g = 0; g < G; ++g) {
            const float pj = p[g * stride + j] * vs;
            float *og = o + static_cast<int64_t>(g) * d;
            for (int32_t x = 0; x < d; ++x) og[x] += pj * to_f32(row[x]);
        }
    }
}

template <class T> inline void scalar_axpy(float a, const T *v, float *out, int32_t d) {
    for (int32_t i = 0; i < d; ++i) out[i] += a * to_f32(v[i]);
}

inline float scalar_max_of(const float *p, int32_t n) {
    float m = -__builtin_inff();
    for (int32_t i = 0; i < n; ++i) m = p[i] > m ? p[i] : m;
    return m;
}

inline float scalar_exp_sum(float *p, int32_t n, float mx) {
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) sum += (p[i] = __builtin_expf(p[i] - mx));
    return sum;
}
