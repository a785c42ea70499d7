// <immintrin.h> for the files that use x86 intrinsics. GCC 12 warns about the intrinsics' own
// `__Y = __Y` idiom once they are inlined (GCC PR 105593); the warnings are silenced for the
// header's own lines only, so our code stays checked.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
