// Streaming 64-bit hash of byte ranges: the checksum of saved contexts and the fingerprint of a
// model. Four independent multiply-rotate lanes over 32-byte stripes, so it keeps up with memory
// reads; it catches corruption, not tampering (not cryptographic), and matches no published hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lh {

class Hash64 {
public:
    explicit Hash64(uint64_t seed = 0);
    void update(const void *data, size_t n);
    // Integers and floats by their little-endian bytes; strings with their length first.
    void add_u64(uint64_t v);
    void add_i32(int32_t v) { add_u64(static_cast<uint64_t>(static_cast<uint32_t>(v))); }
    void add_f32(float v);
    void add_string(const std::string &s);
    uint64_t digest() const;  // does not change the state: more bytes may follow

private:
    uint64_t lane_[4];
    unsigned char buf_[32];
    size_t buffered_ = 0;
    uint64_t total_ = 0;
};

uint64_t hash64(const void *data, size_t n, uint64_t seed = 0);

}  // namespace lh
