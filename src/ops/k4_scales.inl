// The 8 scales and 8 mins of a Q4_K / Q5_K block, unpacked from its 16-byte header (d, dmin, then
// the 12 scale bytes) in vector registers: one load, no scalar work, no inserts from general
// registers. Needs AVX2; included inside each AVX2-or-better level's namespace, as the other .inl
// kernels are, so every level compiles its own copy with its own flags.
//
// With w0 w1 w2 the dwords of the scale bytes: scales 0-3 are the low 6 bits of w0, mins 0-3 those
// of w1; scales 4-7 the low nibbles of w2 under bits 6-7 of w0, mins 4-7 the high nibbles of w2
// under bits 6-7 of w1. Result: scales in bytes 0-7, mins in bytes 8-15.
inline __m128i k4_scales_from_header(const uint8_t *m) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(m));  // d|dmin, w0, w1, w2
    const __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(3, 2, 3, 1));           // w0, w2, w1, w2
    const __m128i b = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 1, 1));           // w0, w0, w1, w1
    const __m128i low6 = _mm_and_si128(a, _mm_set1_epi32(0x3f3f3f3f));
    const __m128i nibbles = _mm_and_si128(_mm_srlv_epi32(a, _mm_set_epi32(4, 0, 0, 0)), _mm_set1_epi32(0x0f0f0f0f));
    const __m128i top2 = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_set1_epi32(0x30303030));
    return _mm_blend_epi32(low6, _mm_or_si128(nibbles, top2), 0xa);  // sc 0-3, sc 4-7, mn 0-3, mn 4-7
}
