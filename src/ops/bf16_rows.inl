// f32 dot products of bf16 weight rows with one row of x, for a level whose vector operations
// `Lanes` names: V (the f32 vector), kWidth, zero(), load_x(float *), load_w(uint16_t *) (bf16
// widened to f32), fma(a, b, acc) and sum(v). Included inside the level's namespace after
// ops_loops.inl (bf16_bits_to_f32), so every level compiles its own copy with its own flags.

// R rows at a time, so each kWidth columns of x are loaded once for R rows.
template <class Lanes, int R> void bf16_rows(const uint16_t *w, int64_t cols, const float *x, float *y) {
    typename Lanes::V acc[R];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = Lanes::zero();
    int64_t i = 0;
    for (; i + Lanes::kWidth <= cols; i += Lanes::kWidth) {
        const typename Lanes::V xv = Lanes::load_x(x + i);
        #pragma GCC unroll 8
        for (int r = 0; r < R; ++r) acc[r] = Lanes::fma(Lanes::load_w(w + r * cols + i), xv, acc[r]);
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        float sum = Lanes::sum(acc[r]);
        for (int64_t j = i; j < cols; ++j) sum += bf16_bits_to_f32(w[r * cols + j]) * x[j];
        y[r] = sum;
    }
}

// y[r - row0] = w[r] . x for rows row0 .. row1 - 1, four rows at a time.
template <class Lanes>
void bf16_dot_rows_with(const uint16_t *w, int64_t cols, int64_t row0, int64_t row1, const float *x, float *y) {
    int64_t row = row0;
    for (; row + 4 <= row1; row += 4) bf16_rows<Lanes, 4>(w + row * cols, cols, x, y + (row - row0));
    for (; row < row1; ++row) bf16_rows<Lanes, 1>(w + row * cols, cols, x, y + (row - row0));
}
