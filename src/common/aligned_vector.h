// std::vector whose storage starts on a 64-byte boundary (a cache line, one AVX-512 vector), for
// buffers the vector kernels load whole lines from: a 64-byte load that straddles two lines costs
// two. The decode products' quantized activations live in these (ops/matmul.h).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace lh {

template <class T>
struct LineAlignedAllocator {
    using value_type = T;
    static constexpr std::align_val_t kAlign{64};

    LineAlignedAllocator() = default;
    template <class U>
    LineAlignedAllocator(const LineAlignedAllocator<U> &) {}

    T *allocate(std::size_t n) { return static_cast<T *>(::operator new(n * sizeof(T), kAlign)); }
    void deallocate(T *p, std::size_t) { ::operator delete(p, kAlign); }

    template <class U>
    bool operator==(const LineAlignedAllocator<U> &) const { return true; }
    template <class U>
    bool operator!=(const LineAlignedAllocator<U> &) const { return false; }
};

template <class T>
using LineAlignedVector = std::vector<T, LineAlignedAllocator<T>>;

}  // namespace lh
