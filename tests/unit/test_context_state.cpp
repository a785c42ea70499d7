// Contexts as state (src/runtime/context_state.cpp, context_file.cpp): saved contexts answer
// exactly as the saved one, the same tokens save to the same bytes, prefix reuse and truncation
// equal a fresh evaluation, forks are independent, and damaged or foreign files are refused.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "error_capture.h"
#include "gguf_builder.h"
#include "common/error.h"
#include "common/hash64.h"
#include "gguf/gguf_file.h"
#include "model/model.h"
#include "runtime/context.h"

using namespace lh;

namespace {

const std::string kShared = LH_SHARED_DIR;

const Model &model_named(const std::string &name, lh_precision p = LH_PRECISION_F32) {
    static std::map<std::pair<std::string, int>, std::unique_ptr<Model>> cache;
    auto &slot = cache[{name, int(p)}];
    if (!slot) {
        ModelOptions o;
        o.precision = p;
        slot = Model::load(kShared + "/models/" + name + ".gguf", o);
    }
    return *slot;
}
const Model &stories() { return model_named("stories260K"); }

std::string temp_path(const std::string &name) {
    return "/tmp/lh_state_test_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<unsigned char> file_bytes(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string &path, const std::vector<unsigned char> &b) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Ids drawn from the vocabulary (a fixed seed per stream), BOS first for a document.
std::vector<int32_t> token_stream(size_t n, uint32_t seed, bool bos = true) {
    std::mt19937 rng(seed);
    std::vector<int32_t> ids;
    if (bos) ids.push_back(1);
    while (ids.size() < n) ids.push_back(static_cast<int32_t>(3 + rng() % 509));
    return ids;
}

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<float> last_logits(const Context &c) {
    const float *l = c.logits(-1);
    return std::vector<float>(l, l + c.model().hparams().n_vocab);
}

using lh_test::contains;
using lh_test::error_of;

struct Config {
    const char *name;
    ContextOptions opts;
};

// Every kind of state: full, window, LongHeads with each chunk score, KV types, block prefill.
std::vector<Config> configs() {
    auto base = [] {
        ContextOptions o;
        o.n_ctx = 1024;
        o.n_threads = 2;
        o.n_batch = 64;
        return o;
    };
    auto longheads = [&](lh_chunk_score score, lh_kv_type kv, lh_prefill_mode prefill) {
        ContextOptions o = base();
        o.attention = LH_ATTENTION_LONGHEADS;
        o.chunk_size = 16;
        o.attn_len = 64;
        o.chunk_score = score;
        o.kv_type = kv;
        o.prefill_mode = prefill;
        return o;
    };
    ContextOptions window = base();
    window.attention = LH_ATTENTION_WINDOW;
    window.attn_len = 64;
    return {{"full", base()},
            {"window", window},
            {"longheads faithful", longheads(LH_CHUNK_SCORE_FAITHFUL, LH_KV_F32, LH_PREFILL_PER_TOKEN)},
            {"longheads max_key", longheads(LH_CHUNK_SCORE_MAX_KEY, LH_KV_F32, LH_PREFILL_PER_TOKEN)},
            {"longheads bound bf16 kv", longheads(LH_CHUNK_SCORE_BOUND, LH_KV_BF16, LH_PREFILL_PER_TOKEN)},
            {"longheads faithful bf16 kv", longheads(LH_CHUNK_SCORE_FAITHFUL, LH_KV_BF16, LH_PREFILL_PER_TOKEN)},
            {"longheads faithful q8 kv block", longheads(LH_CHUNK_SCORE_FAITHFUL, LH_KV_Q8, LH_PREFILL_BLOCK)}};
}

ContextOptions longheads_options() { return configs()[2].opts; }

}  // namespace

TEST_CASE("a saved context reloads holding the same tokens and answers with the same logits", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(300, 7), more = token_stream(37, 8, false);
    for (const Config &c : configs()) {
        INFO(c.name);
        Context saved(stories(), c.opts);
        saved.eval(doc.data(), doc.size(), false);
        const std::string path = temp_path("roundtrip");
        saved.save(path);

        std::unique_ptr<Context> loaded = Context::load(stories(), path, nullptr);
        CHECK(loaded->n_past() == 300);
        CHECK(loaded->tokens() == doc);
        CHECK(loaded->options().attention == c.opts.attention);
        CHECK(last_logits(*loaded) == last_logits(saved));  // bit for bit

        // Saving the loaded context gives the same bytes.
        const std::string again = temp_path("roundtrip2");
        loaded->save(again);
        CHECK(file_bytes(again) == file_bytes(path));

        // Both continue alike, every row bit for bit.
        saved.eval(more.data(), more.size(), true);
        loaded->eval(more.data(), more.size(), true);
        for (int32_t i = 0; i < int32_t(more.size()); ++i)
            REQUIRE(std::memcmp(saved.logits(i), loaded->logits(i), 512 * sizeof(float)) == 0);
        std::remove(path.c_str());
        std::remove(again.c_str());
    }
}

TEST_CASE("the same tokens evaluated alike save to the same bytes; a fork saves as its origin", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(333, 9);
    for (const Config &c : configs()) {
        INFO(c.name);
        Context a(stories(), c.opts), b(stories(), c.opts);
        a.eval(doc.data(), doc.size(), false);
        b.eval(doc.data(), 100, false);  // another context, with other garbage in its buffers
        b.reset();
        b.eval(doc.data(), doc.size(), false);
        const std::string pa = temp_path("a"), pa2 = temp_path("a2"), pb = temp_path("b"), pf = temp_path("f");
        a.save(pa);
        a.save(pa2);
        b.save(pb);
        std::unique_ptr<Context> f = a.fork();
        f->save(pf);
        const std::vector<unsigned char> bytes = file_bytes(pa);
        CHECK(bytes.size() > 256);
        CHECK(file_bytes(pa2) == bytes);
        CHECK(file_bytes(pb) == bytes);
        CHECK(file_bytes(pf) == bytes);
        for (const std::string &p : {pa, pa2, pb, pf}) std::remove(p.c_str());
    }
}

TEST_CASE("a fork is independent of its origin", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(200, 10), q1 = token_stream(20, 11, false), q2 = token_stream(25, 12, false);
    Context origin(stories(), longheads_options());
    origin.eval(doc.data(), doc.size(), false);
    std::unique_ptr<Context> fork = origin.fork();
    CHECK(last_logits(*fork) == last_logits(origin));
    fork->eval(q1.data(), q1.size(), false);
    CHECK(origin.n_past() == 200);
    CHECK(fork->n_past() == 220);
    origin.eval(q2.data(), q2.size(), false);
    Context fresh(stories(), longheads_options());
    fresh.eval(doc.data(), doc.size(), false);
    fresh.eval(q2.data(), q2.size(), false);
    CHECK(last_logits(origin) == last_logits(fresh));
}

TEST_CASE("prefix reuse evaluates only what differs and equals a fresh evaluation", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(300, 13), q1 = token_stream(20, 14, false), q2 = token_stream(25, 15, false);
    const std::vector<int32_t> p1 = concat(doc, q1), p2 = concat(doc, q2);
    for (const Config &c : configs()) {
        INFO(c.name);
        Context ctx(stories(), c.opts);
        ctx.eval(doc.data(), doc.size(), false);  // the document, as read once
        CHECK(ctx.eval_reuse(p1.data(), p1.size(), nullptr) == 300);
        const int32_t reused = ctx.eval_reuse(p2.data(), p2.size(), nullptr);
        // Chunk keys need the queries of a chunk's tokens, kept only for the chunk being filled:
        // the faithful score goes back to the start of chunk 300 / 16 = 18.
        const bool chunk_keys = c.opts.attention == LH_ATTENTION_LONGHEADS && c.opts.chunk_score == LH_CHUNK_SCORE_FAITHFUL;
        CHECK(reused == (chunk_keys ? 288 : 300));
        CHECK(ctx.tokens() == p2);

        // A fresh context evaluating the document, then from the reuse point on.
        Context fresh(stories(), c.opts);
        fresh.eval(doc.data(), doc.size(), false);
        fresh.truncate(reused, nullptr);
        fresh.eval(p2.data() + reused, p2.size() - size_t(reused), false);
        CHECK(last_logits(ctx) == last_logits(fresh));
        // And a fresh context that never held q1 or anything past the reuse point, in one go:
        // equal up to the rounding of different batch shapes.
        Context one(stories(), c.opts);
        one.eval(p2.data(), size_t(reused), false);
        one.eval(p2.data() + reused, p2.size() - size_t(reused), false);
        const std::vector<float> a = last_logits(ctx), b = last_logits(one);
        double worst = 0;
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
        std::cout << "prefix reuse (" << c.name << "): reused " << reused << " of " << p2.size()
                  << ", max |diff| vs evaluating the new prompt alone = " << worst << "\n";
        CHECK(worst <= 1e-4);

        // Exactly the held tokens again: only the last one is evaluated.
        CHECK(ctx.eval_reuse(p2.data(), p2.size(), nullptr) == int32_t(p2.size()) - 1);
        // A prompt that shares nothing starts over.
        const std::vector<int32_t> other = token_stream(40, 99);
        CHECK(ctx.eval_reuse(other.data() + 1, other.size() - 1, nullptr) == 0);
        CHECK(ctx.n_past() == 39);
    }
}

TEST_CASE("truncation keeps exactly n_keep tokens and continues as a fresh evaluation", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(320, 16), tail = token_stream(30, 17, false);
    for (Config c : configs()) {
        INFO(c.name);
        // oneDNN's rounding of a row can depend on how many rows its batch has, and a chunk
        // selection near a tie then flips; one token per batch gives the truncated and the fresh
        // context the same arithmetic (block prefill keeps its batches: they define it).
        if (c.opts.prefill_mode != LH_PREFILL_BLOCK) c.opts.n_batch = 1;
        Context full(stories(), c.opts);
        full.eval(doc.data(), doc.size(), false);
        for (int32_t keep : {0, 1, 16, 287, 288, 290, 303, 304, 319, 320}) {
            INFO("keep " << keep);
            std::unique_ptr<Context> cut = full.fork();
            cut->truncate(keep, nullptr);
            CHECK(cut->n_past() == keep);
            CHECK(cut->tokens() == std::vector<int32_t>(doc.begin(), doc.begin() + keep));
            CHECK(cut->n_logits() == 0);
            cut->eval(tail.data(), tail.size(), false);
            // Fresh: the document to the last chunk boundary <= keep in the same batches, then
            // the rest of the kept tokens, then the tail.
            Context fresh(stories(), c.opts);
            const int32_t boundary = keep / 16 * 16;
            const bool chunk_keys =
                c.opts.attention == LH_ATTENTION_LONGHEADS && c.opts.chunk_score == LH_CHUNK_SCORE_FAITHFUL;
            const int32_t first = chunk_keys && keep < 320 ? boundary : keep;
            if (first > 0) fresh.eval(doc.data(), size_t(first), false);
            if (keep > first) fresh.eval(doc.data() + first, size_t(keep - first), false);
            fresh.eval(tail.data(), tail.size(), false);
            const std::vector<float> a = last_logits(*cut), b = last_logits(fresh);
            double worst = 0;
            for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
            CHECK(worst <= 1e-4);
        }
    }
}

TEST_CASE("a cancel inside a batch rolls back to a consistent prefix, not to nothing", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(200, 18);
    ContextOptions o = longheads_options();
    Context ctx(stories(), o);
    ctx.eval(doc.data(), 100, false);
    // Set the flag from the forward pass itself: it is polled between layers, so the batch
    // [100, 164) is interrupted after its first layer.
    std::atomic<bool> cancel{true};
    const auto e = error_of([&] { ctx.eval(doc.data() + 100, 100, false, &cancel); });
    CHECK(e.first == LH_ERROR_CANCELLED);
    CHECK(ctx.n_past() <= 100);
    CHECK(ctx.n_past() >= 96);  // at most back to the start of chunk 100 / 16
    CHECK(ctx.tokens() == std::vector<int32_t>(doc.begin(), doc.begin() + ctx.n_past()));
    const int32_t kept = ctx.n_past();
    ctx.eval(doc.data() + kept, doc.size() - size_t(kept), false);
    Context fresh(stories(), o);
    fresh.eval(doc.data(), size_t(kept), false);
    fresh.eval(doc.data() + kept, doc.size() - size_t(kept), false);
    CHECK(last_logits(ctx) == last_logits(fresh));
}

TEST_CASE("loading with parameters: the attention must agree, n_ctx and threads are free", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(150, 19);
    Context saved(stories(), longheads_options());
    saved.eval(doc.data(), doc.size(), false);
    const std::string path = temp_path("params");
    saved.save(path);

    ContextOptions same = longheads_options();
    same.n_ctx = 0;       // the saved size
    same.n_threads = 1;   // free
    same.n_batch = 7;     // free
    std::unique_ptr<Context> a = Context::load(stories(), path, &same);
    CHECK(a->options().n_ctx == 1024);
    CHECK(a->options().n_batch == 7);
    CHECK(last_logits(*a) == last_logits(saved));
    same.n_ctx = 2048;
    CHECK(Context::load(stories(), path, &same)->options().n_ctx == 2048);
    same.n_ctx = 100;
    auto e = error_of([&] { Context::load(stories(), path, &same); });
    CHECK(e.first == LH_ERROR_CONTEXT_FULL);
    CHECK(contains(e.second, "holds 150 tokens"));

    struct Case {
        const char *what;
        void (*change)(ContextOptions &);
    };
    const Case cases[] = {
        {"attention full (saved with longheads)", [](ContextOptions &o) { o.attention = LH_ATTENTION_FULL; }},
        {"chunk_size 8 (saved with 16)", [](ContextOptions &o) { o.chunk_size = 8; }},
        {"attn_len 128 (saved with 64)", [](ContextOptions &o) { o.attn_len = 128; }},
        {"begin_len 32 (saved with 64)", [](ContextOptions &o) { o.begin_len = 32; }},
        {"kv_type bf16 (saved with f32)", [](ContextOptions &o) { o.kv_type = LH_KV_BF16; }},
        {"chunk_score max_key (saved with faithful)", [](ContextOptions &o) { o.chunk_score = LH_CHUNK_SCORE_MAX_KEY; }},
        {"prefill_mode block (saved with per_token)", [](ContextOptions &o) { o.prefill_mode = LH_PREFILL_BLOCK; }},
        {"local_chunks 1 (saved with 2)", [](ContextOptions &o) { o.local_chunks = 1; }},
    };
    for (const Case &c : cases) {
        ContextOptions o = longheads_options();
        c.change(o);
        e = error_of([&] { Context::load(stories(), path, &o); });
        INFO(e.second);
        CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
        CHECK(contains(e.second, "other attention parameters"));
        CHECK(contains(e.second, c.what));
    }
    std::remove(path.c_str());
}

TEST_CASE("a LongRoPE context reloads only into a size that picks the same factors", "[context][state][rope]") {
    lh_test::TinyLlama shape;
    shape.phi3 = true;
    shape.longrope_orig = 256;
    ModelOptions mo;
    mo.precision = LH_PRECISION_F32;
    const std::unique_ptr<Model> model = Model::from_file(lh_test::tiny_llama(shape).open(), mo);
    ContextOptions o;
    o.attention = LH_ATTENTION_FULL;
    o.n_ctx = 128;
    Context saved(*model, o);
    const std::vector<int32_t> doc = {1, 5, 9, 17, 33, 40, 41, 42};
    saved.eval(doc.data(), doc.size(), false);
    const std::string path = temp_path("longrope");
    saved.save(path);
    o.n_ctx = 256;  // still the short factors
    CHECK(last_logits(*Context::load(*model, path, &o)) == last_logits(saved));
    o.n_ctx = 512;  // the long ones
    const auto e = error_of([&] { Context::load(*model, path, &o); });
    INFO(e.second);
    CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(contains(e.second, "saved with n_ctx 128"));
    CHECK(contains(e.second, "LongRoPE"));
    std::remove(path.c_str());
}

TEST_CASE("a file of another model or precision is refused by name", "[context][state]") {
    const std::vector<int32_t> doc = token_stream(50, 20);
    ContextOptions o;
    o.n_ctx = 256;
    o.n_threads = 1;
    Context saved(stories(), o);
    saved.eval(doc.data(), doc.size(), false);
    const std::string path = temp_path("model");
    saved.save(path);
    auto e = error_of([&] { Context::load(model_named("llama-2-tiny-random"), path, nullptr); });
    CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(contains(e.second, "saved with another model"));
    // Same shape, other weights: a copy of the file with the lowest bit of one weight changed.
    std::vector<unsigned char> bytes = file_bytes(kShared + "/models/stories260K.gguf");
    {
        std::unique_ptr<GgufFile> gguf = GgufFile::open(kShared + "/models/stories260K.gguf");
        const GgufTensorInfo *t = gguf->find_tensor("output_norm.weight");
        REQUIRE(t != nullptr);
        bytes[gguf->data_offset() + t->offset] ^= 1;
    }
    const std::string tweaked = temp_path("tweaked.gguf");
    write_bytes(tweaked, bytes);
    std::unique_ptr<Model> tweaked_model = Model::load(tweaked, ModelOptions());
    e = error_of([&] { Context::load(*tweaked_model, path, nullptr); });
    CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(contains(e.second, "another model of the same shape (its tensors differ)"));
    std::remove(tweaked.c_str());
    e = error_of([&] { Context::load(model_named("stories260K", LH_PRECISION_BF16), path, nullptr); });
    CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(contains(e.second, "precision f32; this model is loaded in bf16"));
    std::remove(path.c_str());
}

TEST_CASE("damaged, truncated and foreign files are refused with a clear error", "[context][state][malformed]") {
    const std::vector<int32_t> doc = token_stream(120, 21);
    Context saved(stories(), longheads_options());
    saved.eval(doc.data(), doc.size(), false);
    const std::string path = temp_path("good"), bad = temp_path("bad");
    saved.save(path);
    const std::vector<unsigned char> good = file_bytes(path);
    auto load_bad = [&](const std::vector<unsigned char> &bytes) {
        write_bytes(bad, bytes);
        return error_of([&] { Context::load(stories(), bad, nullptr); });
    };

    auto e = error_of([&] { Context::load(stories(), temp_path("missing"), nullptr); });
    CHECK(e.first == LH_ERROR_IO);
    CHECK(contains(e.second, "cannot open context file"));
    e = error_of([&] { Context::load(stories(), "/tmp", nullptr); });
    CHECK(e.first == LH_ERROR_IO);
    CHECK(contains(e.second, "not a regular file"));
    e = load_bad({});
    CHECK(e.first == LH_ERROR_BAD_FORMAT);
    CHECK(contains(e.second, "less than the 256-byte header"));
    std::vector<unsigned char> gguf = good;
    std::memcpy(gguf.data(), "GGUF", 4);
    e = load_bad(gguf);
    CHECK(e.first == LH_ERROR_BAD_FORMAT);
    CHECK(contains(e.second, "wrong magic"));

    // Truncated at every length that matters: inside the header, at its end, in the payload.
    for (size_t len : {size_t(8), size_t(100), size_t(255), size_t(256), size_t(257), good.size() / 2,
                       good.size() - 1}) {
        INFO("truncated to " << len);
        e = load_bad(std::vector<unsigned char>(good.begin(), good.begin() + long(len)));
        CHECK(e.first == LH_ERROR_BAD_FORMAT);
        CHECK(!e.second.empty());
    }
    e = load_bad(std::vector<unsigned char>(good.begin(), good.end() - 1000));
    CHECK(contains(e.second, "(truncated)"));
    std::vector<unsigned char> longer = good;
    longer.push_back(0);
    e = load_bad(longer);
    CHECK(e.first == LH_ERROR_BAD_FORMAT);

    // Every single flipped bit is caught: random positions over the whole file.
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<unsigned char> b = good;
        const size_t at = trial < 100 ? rng() % 256 : rng() % b.size();
        b[at] ^= static_cast<unsigned char>(1u << (rng() % 8));
        e = load_bad(b);
        INFO("bit flipped at byte " << at);
        REQUIRE(e.first != LH_OK);
        CHECK((e.first == LH_ERROR_BAD_FORMAT || e.first == LH_ERROR_INVALID_ARGUMENT));
    }
    // Random bytes of random length: refused, never a crash.
    for (int trial = 0; trial < 100; ++trial) {
        std::vector<unsigned char> b(rng() % 2048);
        for (auto &x : b) x = static_cast<unsigned char>(rng());
        if (trial % 2 == 0 && b.size() >= 8) std::memcpy(b.data(), good.data(), 8);  // past the magic
        REQUIRE(load_bad(b).first == LH_ERROR_BAD_FORMAT);
    }
    std::remove(path.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("header fields with a valid checksum but impossible values are refused", "[context][state][malformed]") {
    const std::vector<int32_t> doc = token_stream(64, 22);
    Context saved(stories(), longheads_options());
    saved.eval(doc.data(), doc.size(), false);
    const std::string path = temp_path("fields"), bad = temp_path("fields_bad");
    saved.save(path);
    const std::vector<unsigned char> good = file_bytes(path);
    // Rewrites one little-endian field and the header checksum (docs/CONTEXT_FILE.md layout).
    auto with_field = [&](size_t offset, size_t width, uint64_t value) {
        std::vector<unsigned char> b = good;
        for (size_t i = 0; i < width; ++i) b[offset + i] = static_cast<unsigned char>(value >> (8 * i));
        const uint64_t h = hash64(b.data(), 248);
        for (size_t i = 0; i < 8; ++i) b[248 + i] = static_cast<unsigned char>(h >> (8 * i));
        write_bytes(bad, b);
        return error_of([&] { Context::load(stories(), bad, nullptr); });
    };
    CHECK(with_field(0, 0, 0).first == LH_OK);  // the rewrite itself keeps a good file good

    auto e = with_field(8, 4, 2);  // version
    CHECK(e.first == LH_ERROR_BAD_FORMAT);
    CHECK(contains(e.second, "format version 2; this longheads reads version 1 (saved by a newer longheads)"));
    std::mt19937 rng(77);
    const uint64_t specials[] = {0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 16, 64, 1024, 1u << 24};
    // Every 32-bit field from precision (offset 44) to n_logits (offset 120), and the 64-bit
    // payload size: special and random values.
    for (size_t off = 44; off <= 120; off += 4) {
        for (int k = 0; k < 16; ++k) {
            const uint64_t v = k < 11 ? specials[k] : rng();
            e = with_field(off, 4, v);
            INFO("field at " << off << " = " << v << ": " << e.second);
            if (e.first == LH_OK) continue;  // the value happened to be the saved one, or harmless
            CHECK(e.first != LH_ERROR_INTERNAL);
            CHECK(!e.second.empty());
        }
    }
    for (uint64_t v : {uint64_t(0), uint64_t(1), uint64_t(1) << 40, ~uint64_t(0)}) {
        e = with_field(20, 8, v);
        CHECK(e.first == LH_ERROR_BAD_FORMAT);
    }
    std::remove(path.c_str());
    std::remove(bad.c_str());
}
