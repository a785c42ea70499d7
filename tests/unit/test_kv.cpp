// Tests for src/kv: the key/value cache layout, bf16 storage and the LongHeads chunk store.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "numeric/tensor_types.h"
#include "kv/chunk_store.h"
#include "kv/kv_cache.h"

TEST_CASE("KV cache stores keys in tiles and values in rows per (layer, kv head)", "[kv]") {
    lh::kv::KvCache c;
    c.init(LH_KV_F32, 3, 2, 8, 20);
    CHECK(c.bytes() == 2ull * 3 * 2 * 32 * 8 * 4);  // capacity rounded up to whole 16-token tiles
    CHECK(c.capacity() == 20);
    std::vector<float> k(8), v(8);
    for (int l = 0; l < 3; ++l)
        for (int g = 0; g < 2; ++g)
            for (int p = 0; p < 20; ++p) {
                for (int i = 0; i < 8; ++i) {
                    k[i] = static_cast<float>(l * 1000 + g * 100 + p + i * 0.01);
                    v[i] = -k[i];
                }
                c.put(l, g, p, k.data(), v.data());
            }
    for (int l = 0; l < 3; ++l)
        for (int g = 0; g < 2; ++g)
            for (int p = 0; p < 20; ++p)
                for (int i = 0; i < 8; ++i) {
                    const float want = static_cast<float>(l * 1000 + g * 100 + p + i * 0.01);
                    CHECK(c.keys<float>(l, g)[(p / 16) * 16 * 8 + i * 16 + p % 16] == want);  // [tile][dim][16]
                    CHECK(c.key_at(l, g, p, i) == want);
                    CHECK(c.values<float>(l, g)[p * 8 + i] == -want);
                }
    // 64-byte aligned blocks.
    CHECK(reinterpret_cast<uintptr_t>(c.keys<float>(0, 0)) % 64 == 0);
}

TEST_CASE("bf16 KV cache rounds to nearest even", "[kv]") {
    lh::kv::KvCache c;
    c.init(LH_KV_BF16, 1, 1, 4, 2);
    CHECK(c.bytes() == 2ull * 1 * 1 * 16 * 4 * 2);
    const float k[4] = {1.0f, 1.00390625f /* 1 + 2^-8: a tie, rounds to 1 */, -3.14159f, 65504.0f};
    const float v[4] = {0.5f, 1.01171875f /* 1 + 3*2^-8: a tie, rounds up */, 1e-3f, -2.0f};
    c.put(0, 0, 1, k, v);
    for (int i = 0; i < 4; ++i) {
        CHECK(c.keys<uint16_t>(0, 0)[i * 16 + 1] == lh::float_to_bf16(k[i]));
        CHECK(c.values<uint16_t>(0, 0)[4 + i] == lh::float_to_bf16(v[i]));
        CHECK(c.key_at(0, 0, 1, i) == Approx(k[i]).epsilon(1.0 / 128));
    }
    CHECK(c.key_at(0, 0, 1, 1) == 1.0f);
    CHECK(lh::bf16_to_float(c.values<uint16_t>(0, 0)[5]) == 1.015625f);
}

TEST_CASE("chunk store keeps chunk keys and pending queries per (layer, query head)", "[kv]") {
    lh::kv::ChunkStore s;
    s.init(2, 3, 8, 4, 18);  // 4 complete chunks fit in 18 tokens
    CHECK(s.max_chunks() == 4);
    CHECK(s.bytes() == lh::kv::ChunkStore::bytes_for(2, 3, 8, 4, 18));
    CHECK(s.bytes() == 2ull * 3 * 8 * 4 * (16 + 4));  // chunk keys tiled by 16 chunks, + w pending queries
    // Regions do not overlap.
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 3; ++h) {
            for (int i = 0; i < 4 * 8; ++i) s.chunk_keys(l, h)[i] = static_cast<float>(l * 10 + h);
            for (int i = 0; i < 4 * 8; ++i) s.pending(l, h)[i] = static_cast<float>(-(l * 10 + h));
        }
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 3; ++h) {
            for (int i = 0; i < 4 * 8; ++i) CHECK(s.chunk_keys(l, h)[i] == static_cast<float>(l * 10 + h));
            for (int i = 0; i < 4 * 8; ++i) CHECK(s.pending(l, h)[i] == static_cast<float>(-(l * 10 + h)));
        }
    // Chunk keys round-trip through the tiled layout.
    float c[8];
    for (int j = 0; j < 4; ++j) {
        for (int i = 0; i < 8; ++i) c[i] = static_cast<float>(j * 100 + i);
        s.put_chunk_key(1, 2, j, c);
    }
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 8; ++i) {
            CHECK(s.chunk_key_at(1, 2, j, i) == static_cast<float>(j * 100 + i));
            CHECK(s.chunk_keys(1, 2)[i * 16 + j] == static_cast<float>(j * 100 + i));
        }
}
