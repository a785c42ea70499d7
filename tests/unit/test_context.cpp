// Contexts: option defaults and validation, the memory budget, and the forward pass against
// llama.cpp's reference logits (the parity tests), batching, reset, errors and cancellation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "error_capture.h"
#include "common/error.h"
#include "gguf_builder.h"
#include "json_mini.h"
#include "model/model.h"
#include "runtime/context.h"

using namespace lh;

namespace {

const std::string kShared = LH_SHARED_DIR;

const json_mini::Value &reference() {
    static const json_mini::Value v = json_mini::parse_file(kShared + "/reference/llamacpp/logits.json");
    return v;
}

const Model &shared_model(const std::string &name, lh_precision p = LH_PRECISION_F32) {
    static std::map<std::pair<std::string, int>, std::unique_ptr<Model>> cache;
    auto &slot = cache[{name, int(p)}];
    if (!slot) {
        ModelOptions o;
        o.precision = p;
        slot = Model::load(kShared + "/models/" + name + ".gguf", o);
    }
    return *slot;
}

std::vector<int32_t> ids_of(const json_mini::Value &arr) {
    std::vector<int32_t> v;
    for (const auto &x : arr.array) v.push_back(int32_t(x.num()));
    return v;
}

int32_t argmax(const float *x, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;  // lowest id wins ties, as in the reference
    return best;
}

double max_diff(const float *a, const float *b, int32_t n) {
    double d = 0;
    for (int32_t i = 0; i < n; ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
    return d;
}

using lh_test::contains;
using lh_test::error_of;

ContextOptions small_options(int32_t n_ctx = 512) {
    ContextOptions o;
    o.n_ctx = n_ctx;
    o.n_threads = 2;
    return o;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Parity with llama.cpp
// ------------------------------------------------------------------------------------------

TEST_CASE("stories260K matches llama.cpp's exact_f32 logits and greedy tokens", "[context][parity]") {
    const Model &m = shared_model("stories260K");
    const auto &prompts = reference()["stories260K"]["exact_f32"]["prompts"];
    REQUIRE(prompts.size() == 3);
    Context ctx(m, small_options());
    for (const auto &p : prompts.array) {
        const std::vector<int32_t> ids = ids_of(p["prompt_ids"]);
        std::vector<float> ref;
        for (const auto &x : p["last_logits"].array) ref.push_back(float(x.num()));
        REQUIRE(ref.size() == 512);
        ctx.reset();
        ctx.eval(ids.data(), ids.size(), false);
        const double d = max_diff(ctx.logits(-1), ref.data(), 512);
        std::cout << "parity stories260K exact_f32 '" << p["prompt"].str() << "': max |diff| = " << d
                  << " over 512 logits\n";
        INFO("prompt '" << p["prompt"].str() << "' max |diff| " << d);
        CHECK(d <= 1e-3);

        // Greedy continuation, one token at a time.
        const std::vector<int32_t> greedy = ids_of(p["greedy_ids"]);
        std::vector<int32_t> ours;
        for (size_t i = 0; i < greedy.size(); ++i) {
            const int32_t tok = argmax(ctx.logits(-1), 512);
            ours.push_back(tok);
            ctx.eval(&tok, 1, false);
        }
        CHECK(ours == greedy);
    }
}

TEST_CASE("llama-2-tiny-random matches llama.cpp's exact_f32 top-20 logits", "[context][parity]") {
    const Model &m = shared_model("llama-2-tiny-random");
    const auto &prompts = reference()["llama-2-tiny-random"]["exact_f32"]["prompts"];
    REQUIRE(prompts.size() == 3);
    Context ctx(m, small_options());
    const int32_t V = m.hparams().n_vocab;
    for (const auto &p : prompts.array) {
        const std::vector<int32_t> ids = ids_of(p["prompt_ids"]);
        ctx.reset();
        ctx.eval(ids.data(), ids.size(), false);
        const float *l = ctx.logits(-1);
        double d = 0;
        for (const auto &pair : p["top20"].array) {
            d = std::max(d, std::fabs(double(l[int32_t(pair[0].num())]) - pair[1].num()));
        }
        std::cout << "parity llama-2-tiny-random exact_f32 '" << p["prompt"].str() << "': max |diff| = " << d
                  << " over the top-20 logits\n";
        INFO("prompt '" << p["prompt"].str() << "' max |diff| " << d);
        CHECK(d <= 1e-3);

        // Greedy: margins are ~1e-3, so a tie may break either way. Compare step by step while
        // the reference is decisive (margin > 1e-3); stop at the first legitimate divergence.
        const std::vector<int32_t> greedy = ids_of(p["greedy_ids"]);
        const auto &margins = p["greedy_margins"].array;
        size_t compared = 0;
        for (size_t i = 0; i < greedy.size(); ++i) {
            const int32_t tok = argmax(ctx.logits(-1), V);
            if (tok != greedy[i]) {
                INFO("step " << i << ": ours " << tok << ", llama.cpp " << greedy[i] << ", margin " << margins[i].num());
                CHECK(margins[i].num() <= 1e-3);
                break;
            }
            ++compared;
            ctx.eval(&tok, 1, false);
        }
        std::cout << "  greedy: " << compared << " of " << greedy.size() << " tokens identical\n";
    }
}

TEST_CASE("one batch, token by token and batches of 3 give the same logits", "[context]") {
    const Model &m = shared_model("stories260K");
    const std::vector<int32_t> ids = ids_of(reference()["stories260K"]["exact_f32"]["prompts"][2]["prompt_ids"]);
    const size_t n = ids.size();
    const int32_t V = m.hparams().n_vocab;

    Context one(m, small_options());
    one.eval(ids.data(), n, true);
    REQUIRE(one.n_logits() == int32_t(n));
    CHECK(one.n_past() == int32_t(n));

    Context single(m, small_options());
    ContextOptions b3 = small_options();
    b3.n_batch = 3;
    Context three(m, b3);
    three.eval(ids.data(), n, true);
    REQUIRE(three.n_logits() == int32_t(n));
    double worst = 0;
    for (size_t i = 0; i < n; ++i) {
        single.eval(&ids[i], 1, false);
        REQUIRE(single.n_logits() == 1);
        worst = std::max(worst, max_diff(one.logits(int32_t(i)), single.logits(-1), V));
        worst = std::max(worst, max_diff(one.logits(int32_t(i)), three.logits(int32_t(i)), V));
    }
    std::cout << "batching: max |diff| one batch vs token by token vs batches of 3 = " << worst << "\n";
    CHECK(worst <= 1e-4);
    // Last-row-only evaluation gives the last row of the all-logits one.
    Context last(m, b3);
    last.eval(ids.data(), n, false);
    CHECK(last.n_logits() == 1);
    CHECK(max_diff(last.logits(-1), one.logits(-1), V) <= 1e-4);
    CHECK(max_diff(last.logits(0), one.logits(int32_t(n - 1)), V) <= 1e-4);
}

TEST_CASE("BF16 precision stays close to F32 on stories260K", "[context]") {
    const Model &f32 = shared_model("stories260K");
    const Model &bf16 = shared_model("stories260K", LH_PRECISION_BF16);
    Context a(f32, small_options()), b(bf16, small_options());
    for (const auto &p : reference()["stories260K"]["exact_f32"]["prompts"].array) {
        const std::vector<int32_t> ids = ids_of(p["prompt_ids"]);
        a.reset();
        b.reset();
        a.eval(ids.data(), ids.size(), false);
        b.eval(ids.data(), ids.size(), false);
        const double d = max_diff(a.logits(-1), b.logits(-1), 512);
        std::cout << "bf16 vs f32 stories260K '" << p["prompt"].str() << "': max |diff| = " << d << "\n";
        CHECK(argmax(a.logits(-1), 512) == argmax(b.logits(-1), 512));
        CHECK(d < 0.5);
    }
}

// ------------------------------------------------------------------------------------------
// State: reset, errors, cancellation
// ------------------------------------------------------------------------------------------

TEST_CASE("reset forgets everything and evaluation repeats exactly", "[context]") {
    const Model &m = shared_model("stories260K");
    Context ctx(m, small_options());
    const std::vector<int32_t> ids{1, 403, 407, 261, 378};
    ctx.eval(ids.data(), ids.size(), false);
    const std::vector<float> first(ctx.logits(-1), ctx.logits(-1) + 512);
    ctx.eval(ids.data(), 2, false);
    CHECK(ctx.n_past() == 7);
    ctx.reset();
    CHECK(ctx.n_past() == 0);
    CHECK(ctx.n_logits() == 0);
    CHECK(error_of([&] { ctx.logits(-1); }).first == LH_ERROR_INVALID_ARGUMENT);
    ctx.eval(ids.data(), ids.size(), false);
    CHECK(std::vector<float>(ctx.logits(-1), ctx.logits(-1) + 512) == first);
    CHECK(ctx.kv_bytes() > 0);
}

TEST_CASE("bad ids and overflow are refused before anything is evaluated", "[context]") {
    const Model &m = shared_model("stories260K");
    Context ctx(m, small_options(8));
    const std::vector<int32_t> ids{1, 403, 407, 261, 378, 300};
    ctx.eval(ids.data(), ids.size(), true);
    const std::vector<float> before(ctx.logits(-1), ctx.logits(-1) + 512);

    const std::vector<int32_t> bad{5, 6, 512};
    auto e = error_of([&] { ctx.eval(bad.data(), bad.size(), false); });
    CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(contains(e.second, "index 2"));
    CHECK(contains(e.second, "512"));
    const int32_t neg = -1;
    CHECK(error_of([&] { ctx.eval(&neg, 1, false); }).first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(error_of([&] { ctx.eval(nullptr, 1, false); }).first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(error_of([&] { ctx.eval(ids.data(), 0, false); }).first == LH_ERROR_INVALID_ARGUMENT);

    e = error_of([&] { ctx.eval(ids.data(), 3, false); });
    CHECK(e.first == LH_ERROR_CONTEXT_FULL);
    CHECK(e.second == "3 tokens do not fit: context holds 6 of 8");

    // Nothing changed: same tokens, same logits.
    CHECK(ctx.n_past() == 6);
    CHECK(ctx.n_logits() == 6);
    CHECK(std::vector<float>(ctx.logits(-1), ctx.logits(-1) + 512) == before);
    CHECK(error_of([&] { ctx.logits(6); }).first == LH_ERROR_INVALID_ARGUMENT);
    CHECK(error_of([&] { ctx.logits(-2); }).first == LH_ERROR_INVALID_ARGUMENT);
    ctx.eval(ids.data(), 2, false);  // exactly fills it
    CHECK(ctx.n_past() == 8);
    CHECK(error_of([&] { ctx.eval(ids.data(), 1, false); }).first == LH_ERROR_CONTEXT_FULL);
}

TEST_CASE("cancellation stops evaluation and leaves a consistent context", "[context]") {
    const Model &m = shared_model("stories260K");
    const std::vector<int32_t> ids = ids_of(reference()["stories260K"]["exact_f32"]["prompts"][2]["prompt_ids"]);
    Context ref(m, small_options());
    ref.eval(ids.data(), ids.size(), false);

    SECTION("a flag set before the call evaluates nothing") {
        Context ctx(m, small_options());
        ctx.eval(ids.data(), 3, false);
        std::atomic<bool> cancel{true};
        const auto e = error_of([&] { ctx.eval(ids.data() + 3, ids.size() - 3, false, &cancel); });
        CHECK(e.first == LH_ERROR_CANCELLED);
        CHECK(ctx.n_past() == 3);
        CHECK(ctx.n_logits() == 0);
        cancel = false;
        ctx.eval(ids.data() + 3, ids.size() - 3, false, &cancel);
        CHECK(max_diff(ctx.logits(-1), ref.logits(-1), 512) <= 1e-4);
    }
    SECTION("a flag set from another thread mid-way keeps what completed") {
        ContextOptions o = small_options();
        o.n_batch = 1;  // many small batches: the flag lands between layers or between batches
        Context ctx(m, o);
        std::vector<int32_t> many;
        while (many.size() < 400) many.insert(many.end(), ids.begin(), ids.end());
        many.resize(400);
        std::atomic<bool> cancel{false};
        std::thread t([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            cancel = true;
        });
        const auto e = error_of([&] { ctx.eval(many.data(), many.size(), false, &cancel); });
        t.join();
        if (e.first == LH_OK) {
            WARN("evaluation finished before the cancel flag was seen");
            return;
        }
        CHECK(e.first == LH_ERROR_CANCELLED);
        const int32_t kept = ctx.n_past();
        CHECK(kept < 400);
        CHECK(ctx.n_logits() == 0);
        // Continue from what was kept: the result equals an uninterrupted run.
        ctx.eval(many.data() + kept, many.size() - size_t(kept), false);
        Context full(m, small_options());
        full.eval(many.data(), many.size(), false);
        CHECK(max_diff(ctx.logits(-1), full.logits(-1), 512) <= 1e-4);
    }
}

// ------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------

TEST_CASE("context options: defaults from the trained context", "[context]") {
    const Model &m = shared_model("stories260K");  // T = 512
    const ContextOptions o = resolve_context_options(m.hparams(), ContextOptions());
    CHECK(o.n_ctx == 512);
    CHECK(o.n_threads >= 1);
    CHECK(o.n_batch == 512);
    CHECK(o.chunk_size == 32);
    CHECK(o.attn_len == 384);
    CHECK(o.begin_len == 384);
    CHECK(o.n_sinks == 4);
    ContextOptions z;
    z.n_batch = 0;
    z.n_ctx = 100;
    CHECK(resolve_context_options(m.hparams(), z).n_batch == 100);  // clamped to the context

    HParams hp = m.hparams();
    hp.n_ctx_train = 4096;  // Llama-2: w = 256, L = 3072
    const ContextOptions l2 = resolve_context_options(hp, ContextOptions());
    CHECK(l2.chunk_size == 256);
    CHECK(l2.attn_len == 3072);
    hp.n_ctx_train = 3000;  // w = 187 -> 128; L = 2250 -> 2176 (a multiple of w)
    const ContextOptions odd = resolve_context_options(hp, ContextOptions());
    CHECK(odd.chunk_size == 128);
    CHECK(odd.attn_len == 2176);
    hp.n_ctx_train = 64;  // w = min(16, 64/6) -> 8; L = 48, K = 6
    const ContextOptions tiny = resolve_context_options(hp, ContextOptions());
    CHECK(tiny.chunk_size == 8);
    CHECK(tiny.attn_len == 48);
    hp.n_ctx_train = 128;  // w = max(16, 8) = 16
    CHECK(resolve_context_options(hp, ContextOptions()).chunk_size == 16);
}

TEST_CASE("context options: every bad value is refused with its name", "[context]") {
    const HParams &hp = shared_model("stories260K").hparams();
    struct Case {
        const char *what;
        std::function<void(ContextOptions &)> edit;
        std::string needle;
    };
    const std::vector<Case> cases = {
        {"n_ctx", [](ContextOptions &o) { o.n_ctx = -1; }, "n_ctx -1"},
        {"n_ctx max", [](ContextOptions &o) { o.n_ctx = 20000000; }, "n_ctx 20000000"},
        {"threads", [](ContextOptions &o) { o.n_threads = -2; }, "n_threads -2"},
        {"threads max", [](ContextOptions &o) { o.n_threads = 5000; }, "n_threads 5000"},
        {"batch", [](ContextOptions &o) { o.n_batch = -1; }, "n_batch -1"},
        // (3 is inside lh_attention's value range, so the cast is defined behaviour.)
        {"mode", [](ContextOptions &o) { o.attention = static_cast<lh_attention>(3); }, "attention 3 is not a valid lh_attention"},
        {"chunk", [](ContextOptions &o) { o.chunk_size = -32; }, "chunk_size -32"},
        {"sinks", [](ContextOptions &o) { o.n_sinks = -1; }, "n_sinks -1"},
        {"begin", [](ContextOptions &o) { o.begin_len = -1; }, "begin_len -1"},
        {"L not multiple", [](ContextOptions &o) { o.attention = LH_ATTENTION_LONGHEADS; o.attn_len = 100; },
         "attn_len 100 is not a multiple of chunk_size 32"},
        {"L over T", [](ContextOptions &o) { o.attention = LH_ATTENTION_LONGHEADS; o.attn_len = 1024; },
         "allow_attn_len_over_trained"},
        {"K < 3", [](ContextOptions &o) { o.attention = LH_ATTENTION_LONGHEADS; o.chunk_size = 256; },
         "at least 3"},
        {"window L over T", [](ContextOptions &o) { o.attention = LH_ATTENTION_WINDOW; o.attn_len = 600; },
         "attn_len 600"},
        {"sinks >= L", [](ContextOptions &o) { o.attention = LH_ATTENTION_WINDOW; o.attn_len = 8; o.n_sinks = 8; },
         "n_sinks 8"},
    };
    for (const Case &c : cases) {
        ContextOptions o;
        c.edit(o);
        const auto e = error_of([&] { resolve_context_options(hp, o); });
        INFO(c.what << ": " << e.second);
        CHECK(e.first == LH_ERROR_INVALID_ARGUMENT);
        CHECK(contains(e.second, c.needle));
    }
    // Allowed with the flag.
    ContextOptions over;
    over.attention = LH_ATTENTION_LONGHEADS;
    over.attn_len = 1024;
    over.allow_attn_len_over_trained = true;
    CHECK(resolve_context_options(hp, over).attn_len == 1024);
}

TEST_CASE("the memory budget is checked before allocating", "[context]") {
    const Model &m = shared_model("stories260K");
    ContextOptions o = small_options();
    const uint64_t kv = Context::estimate_kv_bytes(m, o, 512);
    CHECK(kv > 0);
    CHECK(Context::estimate_kv_bytes(m, o, 1024) > kv);
    o.memory_budget_bytes = kv / 2;
    const auto e = error_of([&] { Context c(m, o); });
    CHECK(e.first == LH_ERROR_OUT_OF_MEMORY);
    CHECK(contains(e.second, "context of 512 tokens needs " + std::to_string(kv) + " bytes of KV cache"));
    CHECK(contains(e.second, "budget of " + std::to_string(kv / 2)));
    o.memory_budget_bytes = kv * 4 + (64ull << 20);
    Context ok(m, o);
    CHECK(ok.kv_bytes() >= kv);
    CHECK(error_of([&] { Context::estimate_kv_bytes(m, o, -1); }).first == LH_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("matmul primitives are reused across evaluations", "[context]") {
    const Model &m = shared_model("stories260K");
    Context ctx(m, small_options());
    const int32_t tok = 1;
    ctx.eval(&tok, 1, false);
    const size_t after_first = ctx.n_matmul_primitives();
    for (int i = 0; i < 10; ++i) ctx.eval(&tok, 1, false);
    CHECK(ctx.n_matmul_primitives() == after_first);
}

TEST_CASE("a tiny built model runs with tied output and quantized weights", "[context]") {
    lh_test::TinyLlama c;
    c.tied_output = true;
    c.matrix_type = TensorType::Q8_0;
    ModelOptions mo;
    const auto m = Model::from_file(lh_test::tiny_llama(c).open(), mo);
    Context ctx(*m, small_options(64));
    const std::vector<int32_t> ids{1, 5, 9, 30, 63};
    ctx.eval(ids.data(), ids.size(), true);
    for (int32_t i = 0; i < 5; ++i)
        for (int32_t j = 0; j < c.n_vocab; ++j) REQUIRE(std::isfinite(ctx.logits(i)[j]));
}

TEST_CASE("one-token decoding of a quantized model: the one-region pass equals the product-by-product one",
          "[context]") {
    // With 2 threads a quantized model decodes through Forward::run_one_token (one parallel
    // region per token); with 1 thread through the general path. Every product row is the same
    // computation, so the logits must be the same bits, token after token.
    // (qwen3: its per-head Q/K norms sit between the products and the attention in both passes;
    // granite: its residual and logit scales are applied in both; smollm3: its fourth layer has
    // no RoPE in both.)
    struct Variant {
        TensorType type;
        bool qwen3, granite, smollm3;
    };
    for (const Variant &v : {Variant{TensorType::Q8_0, false, false, false}, Variant{TensorType::Q4_0, false, false, false},
                             Variant{TensorType::Q8_0, true, false, false}, Variant{TensorType::Q8_0, false, true, false},
                             Variant{TensorType::Q8_0, false, false, true}}) {
        const TensorType t = v.type;
        lh_test::TinyLlama c;
        c.qwen3 = v.qwen3;
        c.granite = v.granite;
        c.smollm3 = v.smollm3;
        c.n_embd = 128;
        c.n_ff = 352;
        c.n_layer = v.smollm3 ? 4 : 3;
        c.n_vocab = 96;
        c.matrix_type = t;
        ModelOptions mo;
        mo.precision = LH_PRECISION_AUTO;  // quantized matrices stay quantized (the library's default)
        const auto m = Model::from_file(lh_test::tiny_llama(c).open(), mo);
        ContextOptions one_thread = small_options(64), two_threads = small_options(64);
        one_thread.n_threads = 1;
        Context a(*m, one_thread), b(*m, two_threads);
        const std::vector<int32_t> ids{1, 5, 9, 30, 63, 17, 4, 80};
        for (int32_t id : ids) {
            a.eval(&id, 1, false);
            b.eval(&id, 1, false);
            REQUIRE(std::equal(a.logits(-1), a.logits(-1) + c.n_vocab, b.logits(-1)));
        }
        CHECK(std::isfinite(a.logits(-1)[0]));
    }
}

TEST_CASE("one-token decoding at depth: the attention loops shared by the decode team equal one thread's",
          "[context]") {
    // Past a depth the attention of a decoded token shares its per-KV-head loops (and the
    // LongHeads chunk bounds or chunk keys of a completed chunk) between threads. In the
    // one-region pass (2 threads, quantized matrices) the decode team's threads run them through
    // a TeamWork; with 1 thread they run serially. Each item is the same computation either way,
    // so the logits must be the same bits. Dimensions chosen so that sharing starts at depth 512:
    // n_head (8) x keys (512) x head_dim (64) x 2 = 2^19, the attention's threshold; LongHeads
    // selects chunks from B = 512 on.
    lh_test::TinyLlama c;
    c.n_embd = 512;
    c.n_head = 8;
    c.n_head_kv = 2;
    c.n_ff = 256;
    c.n_layer = 2;
    c.n_vocab = 96;
    c.n_ctx = 1024;
    c.matrix_type = TensorType::Q8_0;
    ModelOptions mo;
    mo.precision = LH_PRECISION_AUTO;
    const auto m = Model::from_file(lh_test::tiny_llama(c).open(), mo);
    struct Mode {
        lh_attention attention;
        lh_chunk_score score;
    };
    for (const Mode mode : {Mode{LH_ATTENTION_FULL, LH_CHUNK_SCORE_BOUND_MID}, Mode{LH_ATTENTION_WINDOW, LH_CHUNK_SCORE_BOUND_MID},
                            Mode{LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_BOUND_MID},
                            Mode{LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_FAITHFUL}}) {
        CAPTURE(mode.attention, mode.score);
        ContextOptions o = small_options(1024);
        o.attention = mode.attention;
        o.chunk_score = mode.score;
        if (mode.attention != LH_ATTENTION_FULL) {
            o.chunk_size = 64;
            o.attn_len = 512;
            o.begin_len = 512;
        }
        ContextOptions one_thread = o;
        one_thread.n_threads = 1;
        Context a(*m, one_thread), b(*m, o);
        uint32_t state = 7;
        for (int32_t pos = 0; pos < 720; ++pos) {
            state = state * 1664525u + 1013904223u;
            const int32_t id = 3 + static_cast<int32_t>((state >> 8) % 90u);
            a.eval(&id, 1, false);
            b.eval(&id, 1, false);
            if (pos >= 500) REQUIRE(std::equal(a.logits(-1), a.logits(-1) + c.n_vocab, b.logits(-1)));
        }
        CHECK(std::isfinite(b.logits(-1)[0]));
    }
}
