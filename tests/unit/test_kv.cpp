// Tests for src/kv: the key/value cache layout, bf16 storage and the LongHeads chunk store.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "numeric/tensor_types.h"
#include "kv/chunk_bounds.h"
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

TEST_CASE("chunk bounds keep one tiled [max | min] row per chunk and (layer, KV head)", "[kv]") {
    for (lh_kv_type kt : {LH_KV_F32, LH_KV_BF16, LH_KV_Q8}) {
        lh::kv::ChunkBounds b;
        b.init(kt, 2, 3, 8, 4, 70);  // 17 complete chunks of 4 tokens: 2 tiles of 16 chunks
        CHECK(b.bytes() == 2ull * 3 * 32 * lh::kv::KvCache::row_bytes(kt, 16));
        CHECK(b.bytes() == lh::kv::ChunkBounds::bytes_for(kt, 2, 3, 8, 4, 70));
        float hi[8], lo[8], tmp[16];
        for (int l = 0; l < 2; ++l)
            for (int g = 0; g < 3; ++g)
                for (int j = 0; j < 17; ++j) {
                    for (int i = 0; i < 8; ++i) {
                        hi[i] = static_cast<float>(l * 100 + g * 10 + j) + 0.25f * i;
                        lo[i] = -hi[i] / 2;
                    }
                    b.put(l, g, j, hi, lo, tmp);
                }
        for (int l = 0; l < 2; ++l)
            for (int g = 0; g < 3; ++g)
                for (int j = 0; j < 17; ++j)
                    for (int i = 0; i < 8; ++i) {
                        const float want = static_cast<float>(l * 100 + g * 10 + j) + 0.25f * i;
                        // f32 exact; bf16 to 8 bits; int8 to half a step of the row's max / 127.
                        const float tol = kt == LH_KV_F32 ? 0.0f : kt == LH_KV_BF16 ? want / 256 : (want + 1.75f) / 254 + 1e-5f;
                        INFO("kv=" << kt << " l=" << l << " g=" << g << " j=" << j << " i=" << i);
                        CHECK(std::fabs(b.at(l, g, j, i) - want) <= tol);
                        CHECK(std::fabs(b.at(l, g, j, 8 + i) + want / 2) <= tol);
                    }
        if (kt == LH_KV_F32)  // [tile][2d][16]: chunk 17 is lane 0 of the second tile
            CHECK(b.rows<float>(1, 2)[16 * 16 + 3 * 16 + 0] == 136.75f);
    }
}
