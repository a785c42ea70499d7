// The 8 scales and 8 mins of two Q4_K / Q5_K blocks, unpacked from their 16-byte headers (d,
// dmin, then the 12 scale bytes), one header per 128-bit lane: one pass in vector registers, no
// scalar work. Needs AVX2; included inside the AVX2 level's namespace, as the other .inl kernels
// are. (The AVX-512 levels decode four headers at once with the same steps: k4_scales_of_4 in
// qpacked_avx512.inl.)
//
// With w0 w1 w2 the dwords of a header's scale bytes: scales 0-3 are the low 6 bits of w0, mins
// 0-3 those of w1; scales 4-7 the low nibbles of w2 under bits 6-7 of w0, mins 4-7 the high
// nibbles of w2 under bits 6-7 of w1. Result, per lane: scales in bytes 0-7, mins in bytes 8-15.
inline __m256i k4_scales_of_2(__m256i v) {
    const __m256i a = _mm256_shuffle_epi32(v, _MM_SHUFFLE(3, 2, 3, 1));  // w0, w2, w1, w2
    const __m256i b = _mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 1, 1));  // w0, w0, w1, w1
    const __m256i low6 = _mm256_and_si256(a, _mm256_set1_epi32(0x3f3f3f3f));
    const __m256i shift = _mm256_set_epi32(4, 0, 0, 0, 4, 0, 0, 0);
    const __m256i nibbles = _mm256_and_si256(_mm256_srlv_epi32(a, shift), _mm256_set1_epi32(0x0f0f0f0f));
    const __m256i top2 = _mm256_and_si256(_mm256_srli_epi32(b, 2), _mm256_set1_epi32(0x30303030));
    return _mm256_blend_epi32(low6, _mm256_or_si256(nibbles, top2), 0xaa);
}
