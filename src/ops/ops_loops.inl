// Plain-loop versions of the OpsKernels entries (contracts in ops_kernels.h and qblocks.h),
// included inside a level's namespace so each level gets its own copy, vectorised by the
// compiler for that level's instruction set. Builtins only, no std:: (attention/kernel_table.h
// says why). Needs <cstdint> and ops/ops_kernels.h before the namespace.

inline uint16_t f32_to_bf16_bits(float f) {  // round to nearest even, NaN kept quiet
    uint32_t bits;
    __builtin_memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>(bits >> 16);
}

inline float bf16_bits_to_f32(uint16_t b) {
    const uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

inline int64_t u8_row_bytes(int64_t cols, int bits) { return bits == 4 ? cols / 2 : cols; }

// Block values s * u + c with one rounding (fma), so q8_0/q4_0/q5_0 give exactly ggml's d * q.
template <class Out, class Store>
inline void loop_rows_expand(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                             int64_t row0, int64_t n_rows, Out *out, Store store) {
    const int64_t nb = cols / qblocks::kBlock;
    const int64_t row_bytes = u8_row_bytes(cols, bits);
    alignas(32) uint8_t e[qblocks::kBlock];
    for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t row = row0 + r;
        const uint8_t *ur = u + row * row_bytes;
        const float *sr = scale + row * nb;
        const float *cr = offset + row * nb;
        for (int64_t b = 0; b < nb; ++b) {
            qblocks::unpack_block(ur, b, nb, bits, e);
            Out *o = out + r * cols + qblocks::kBlock * b;
            for (int j = 0; j < qblocks::kBlock; ++j) o[j] = store(__builtin_fmaf(sr[b], static_cast<float>(e[j]), cr[b]));
        }
    }
}

inline void loop_rows_to_bf16(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                              int64_t row0, int64_t n_rows, uint16_t *out) {
    loop_rows_expand(u, bits, scale, offset, cols, row0, n_rows, out, f32_to_bf16_bits);
}

inline void loop_rows_to_f32(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                             int64_t row0, int64_t n_rows, float *out) {
    loop_rows_expand(u, bits, scale, offset, cols, row0, n_rows, out, [](float v) { return v; });
}

// fmaxf and fminf as compares, which the compiler inlines (maxss, minss) where fmaxf stays a
// library call per element: a measurable share of a decoded token, on the one thread that
// quantizes while the others wait (the avx512 levels have vector quantizers, qpacked_avx512.inl).
// Same results: a NaN `b` leaves `a`, and clamp_127 maps a NaN to -127 as
// fminf(fmaxf(r, -127), 127) does.
inline float larger_or_first(float a, float b) { return b > a ? b : a; }
inline float clamp_127(float r) {
    r = r > -127.0f ? r : -127.0f;
    return r < 127.0f ? r : 127.0f;
}

inline void loop_quantize_activations(const float *x, int64_t cols, qblocks::QuantizedActivations &out) {
    const int64_t nb = cols / qblocks::kBlock;
    for (int64_t b = 0; b < nb; ++b) {
        const float *xb = x + qblocks::kBlock * b;
        float amax = 0.0f;
        for (int j = 0; j < qblocks::kBlock; ++j) amax = larger_or_first(amax, __builtin_fabsf(xb[j]));
        const float d = amax / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < qblocks::kBlock; ++j) {
            // Clamped before the cast so that a NaN or infinity cannot make it undefined.
            const float r = clamp_127(__builtin_nearbyintf(xb[j] * inv));
            const int32_t q = static_cast<int32_t>(r);
            out.q[qblocks::kBlock * b + j] = static_cast<int8_t>(q);
            sum += q;
        }
        out.d[b] = d;
        out.d_sum[b] = d * static_cast<float>(sum);
    }
}

inline void loop_dot_rows(const uint8_t *u, int bits, const float *scale, const float *offset, int64_t cols,
                          int64_t row0, int64_t row1, const qblocks::QuantizedActivations &x, float *y) {
    const int64_t nb = cols / qblocks::kBlock;
    const int64_t row_bytes = u8_row_bytes(cols, bits);
    uint8_t e[qblocks::kBlock];
    for (int64_t row = row0; row < row1; ++row) {
        const uint8_t *ur = u + row * row_bytes;
        const float *sr = scale + row * nb;
        const float *cr = offset + row * nb;
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
            qblocks::unpack_block(ur, b, nb, bits, e);
            int32_t dot = 0;
            for (int j = 0; j < qblocks::kBlock; ++j) dot += static_cast<int32_t>(e[j]) * x.q[qblocks::kBlock * b + j];
            sum += x.d[b] * (sr[b] * static_cast<float>(dot)) + cr[b] * x.d_sum[b];
        }
        y[row - row0] = sum;
    }
}

// Eight partial sums, so that the compiler may keep them in vector lanes (it may not reorder one
// float sum).
inline void loop_bf16_dot_rows(const uint16_t *w, int64_t cols, int64_t row0, int64_t row1, const float *x, float *y) {
    for (int64_t row = row0; row < row1; ++row) {
        const uint16_t *wr = w + row * cols;
        float part[8] = {};
        int64_t i = 0;
        for (; i + 8 <= cols; i += 8)
            for (int j = 0; j < 8; ++j) part[j] += bf16_bits_to_f32(wr[i + j]) * x[i + j];
        float sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        for (; i < cols; ++i) sum += bf16_bits_to_f32(wr[i]) * x[i];
        y[row - row0] = sum;
    }
}

inline void loop_bf16_to_f32(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = bf16_bits_to_f32(x[i]);
}

inline void loop_f32_to_bf16(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = f32_to_bf16_bits(x[i]);
}
