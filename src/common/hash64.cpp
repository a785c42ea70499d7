#include "common/hash64.h"

#include <cstring>

namespace lh {

namespace {

constexpr uint64_t kMulA = 0x9E3779B97F4A7C15ull;  // odd multipliers with well-mixed bits
constexpr uint64_t kMulB = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kMulC = 0x165667B19E3779F9ull;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t load64(const unsigned char *p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

inline uint64_t mix_lane(uint64_t lane, uint64_t word) { return rotl(lane + word * kMulB, 31) * kMulA; }

inline uint64_t avalanche(uint64_t h) {
    h ^= h >> 33;
    h *= kMulB;
    h ^= h >> 29;
    h *= kMulC;
    h ^= h >> 32;
    return h;
}

}  // namespace

Hash64::Hash64(uint64_t seed) {
    lane_[0] = seed + kMulA + kMulB;
    lane_[1] = seed + kMulB;
    lane_[2] = seed;
    lane_[3] = seed - kMulA;
}

void Hash64::update(const void *data, size_t n) {
    const unsigned char *p = static_cast<const unsigned char *>(data);
    total_ += n;
    if (buffered_ > 0) {
        const size_t take = n < 32 - buffered_ ? n : 32 - buffered_;
        std::memcpy(buf_ + buffered_, p, take);
        buffered_ += take;
        p += take;
        n -= take;
        if (buffered_ < 32) return;
        for (int i = 0; i < 4; ++i) lane_[i] = mix_lane(lane_[i], load64(buf_ + 8 * i));
        buffered_ = 0;
    }
    uint64_t a = lane_[0], b = lane_[1], c = lane_[2], d = lane_[3];
    for (; n >= 32; p += 32, n -= 32) {
        a = mix_lane(a, load64(p));
        b = mix_lane(b, load64(p + 8));
        c = mix_lane(c, load64(p + 16));
        d = mix_lane(d, load64(p + 24));
    }
    lane_[0] = a, lane_[1] = b, lane_[2] = c, lane_[3] = d;
    std::memcpy(buf_, p, n);
    buffered_ = n;
}

void Hash64::add_u64(uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    update(b, 8);
}

void Hash64::add_f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    add_u64(bits);
}

void Hash64::add_string(const std::string &s) {
    add_u64(s.size());
    update(s.data(), s.size());
}

uint64_t Hash64::digest() const {
    uint64_t h = rotl(lane_[0], 1) + rotl(lane_[1], 7) + rotl(lane_[2], 12) + rotl(lane_[3], 18);
    for (uint64_t lane : lane_) h = (h ^ mix_lane(0, lane)) * kMulA + kMulC;
    h += total_;
    size_t i = 0;
    for (; i + 8 <= buffered_; i += 8) h = rotl(h ^ mix_lane(0, load64(buf_ + i)), 27) * kMulA + kMulC;
    for (; i < buffered_; ++i) h = rotl(h ^ (buf_[i] * kMulC), 11) * kMulA;
    return avalanche(h);
}

uint64_t hash64(const void *data, size_t n, uint64_t seed) {
    Hash64 h(seed);
    h.update(data, n);
    return h.digest();
}

}  // namespace lh
