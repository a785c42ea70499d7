// Generation through the C API on stories260K: pull loop vs one call, stop rules, sampling
// determinism, errors that leave the context usable.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "generation/utf8.h"
#include "longheads/longheads.h"

namespace {

std::string model_path() { return std::string(LH_SOURCE_DIR) + "/models/stories260K.gguf"; }

struct Fixture {
    lh_model *model = nullptr;
    lh_context *ctx = nullptr;
    Fixture() {
        REQUIRE(lh_model_load(model_path().c_str(), nullptr, &model) == LH_OK);
        REQUIRE(lh_context_create(model, nullptr, &ctx) == LH_OK);
    }
    ~Fixture() {
        lh_context_free(ctx);
        lh_model_free(model);
    }
};

struct Streamed {
    std::string text;
    std::vector<int32_t> tokens;
    lh_stop_reason reason = LH_STOP_NONE;
};

Streamed stream(lh_context *ctx, const char *prompt, const lh_generate_params &gp, int stop_after = -1) {
    lh_generation *gen = nullptr;
    REQUIRE(lh_generation_start(ctx, prompt, std::strlen(prompt), &gp, &gen) == LH_OK);
    Streamed out;
    for (;;) {
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        REQUIRE(lh_generation_next(gen, &piece, &len, &token, &done) == LH_OK);
        out.text.append(piece, len);
        if (token >= 0) out.tokens.push_back(token);
        if (done || static_cast<int>(out.tokens.size()) == stop_after) break;
    }
    out.reason = lh_generation_stop_reason(gen);
    lh_generation_free(gen);
    return out;
}

std::string generate(lh_context *ctx, const char *prompt, const lh_generate_params &gp) {
    char buf[4096];
    size_t len = 0;
    REQUIRE(lh_context_reset(ctx) == LH_OK);
    REQUIRE(lh_generate(ctx, prompt, std::strlen(prompt), &gp, nullptr, nullptr, buf, sizeof buf, &len) == LH_OK);
    return std::string(buf, len);
}

}  // namespace

TEST_CASE("streaming and one-call generation give the same text", "[generation]") {
    Fixture f;
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.sampling = &sampling;
    gp.max_tokens = 40;
    sampling.temperature = 0.0f;
    Streamed s = stream(f.ctx, "Once upon a time", gp);
    CHECK(s.tokens.size() == 40);
    CHECK(s.reason == LH_STOP_MAX_TOKENS);
    CHECK(generate(f.ctx, "Once upon a time", gp) == s.text);
    CHECK(s.text.rfind(", there was a little girl", 0) == 0);
}

TEST_CASE("seeded sampling repeats; another seed differs", "[generation]") {
    Fixture f;
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.sampling = &sampling;
    gp.max_tokens = 48;
    sampling.temperature = 1.0f;
    sampling.seed = 42;
    std::string a = generate(f.ctx, "Once upon a time", gp);
    std::string b = generate(f.ctx, "Once upon a time", gp);
    sampling.seed = 43;
    std::string c = generate(f.ctx, "Once upon a time", gp);
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("a stop string ends the text before it", "[generation]") {
    Fixture f;
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.sampling = &sampling;
    gp.max_tokens = 40;
    sampling.temperature = 0.0f;
    std::string full = generate(f.ctx, "Once upon a time", gp);
    REQUIRE(full.find("Lily") != std::string::npos);
    const char *stops[] = {"Lily"};
    gp.stop = stops;
    gp.n_stop = 1;
    lh_context_reset(f.ctx);
    Streamed s = stream(f.ctx, "Once upon a time", gp);
    CHECK(s.reason == LH_STOP_STRING);
    CHECK(s.text == full.substr(0, full.find("Lily")));
}

TEST_CASE("leaving the pull loop early keeps the context usable", "[generation]") {
    Fixture f;
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.sampling = &sampling;
    gp.max_tokens = 100;
    sampling.temperature = 0.0f;
    Streamed s = stream(f.ctx, "Once upon a time", gp, 5);
    CHECK(s.tokens.size() == 5);
    int32_t n_past = 0;
    REQUIRE(lh_context_n_past(f.ctx, &n_past) == LH_OK);
    CHECK(n_past > 5);
    REQUIRE(lh_context_reset(f.ctx) == LH_OK);
    REQUIRE(lh_context_n_past(f.ctx, &n_past) == LH_OK);
    CHECK(n_past == 0);
}

TEST_CASE("a prompt longer than the context is refused and nothing is evaluated", "[generation]") {
    lh_model *model = nullptr;
    REQUIRE(lh_model_load(model_path().c_str(), nullptr, &model) == LH_OK);
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_ctx = 16;
    lh_context *ctx = nullptr;
    REQUIRE(lh_context_create(model, &cp, &ctx) == LH_OK);
    std::string prompt;
    for (int i = 0; i < 10; ++i) prompt += "Once upon a time there was a dog. ";
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.sampling = &sampling;
    lh_generation *gen = nullptr;
    CHECK(lh_generation_start(ctx, prompt.c_str(), prompt.size(), &gp, &gen) == LH_ERROR_CONTEXT_FULL);
    CHECK(std::string(lh_last_error()).find("16") != std::string::npos);
    int32_t n_past = -1;
    REQUIRE(lh_context_n_past(ctx, &n_past) == LH_OK);
    CHECK(n_past == 0);
    // The context fills up during generation: the stop reason says so.
    gp.max_tokens = 100;
    sampling.temperature = 0.0f;
    gp.stop_at_eog = 0;
    Streamed s = stream(ctx, "Once upon a time", gp);
    CHECK(s.reason == LH_STOP_CONTEXT_FULL);
    lh_context_free(ctx);
    lh_model_free(model);
}

TEST_CASE("tokenize and detokenize through the C API use the size-query convention", "[generation]") {
    Fixture f;
    size_t n = 0;
    CHECK(lh_tokenize(f.model, "Hello world", 11, 1, 0, nullptr, 0, &n) == LH_ERROR_BUFFER_TOO_SMALL);
    CHECK(n == 7);
    std::vector<int32_t> ids(n);
    REQUIRE(lh_tokenize(f.model, "Hello world", 11, 1, 0, ids.data(), ids.size(), &n) == LH_OK);
    CHECK(ids == std::vector<int32_t>{1, 346, 306, 414, 263, 304, 341});
    size_t len = 0;
    CHECK(lh_detokenize(f.model, ids.data(), ids.size(), LH_DETOK_DEFAULT, nullptr, 0, &len) ==
          LH_ERROR_BUFFER_TOO_SMALL);
    std::string text(len, '\0');
    REQUIRE(lh_detokenize(f.model, ids.data(), ids.size(), LH_DETOK_DEFAULT, &text[0], text.size(), &len) == LH_OK);
    CHECK(text == " Hello world");
    int32_t bad[] = {1, 512};
    CHECK(lh_detokenize(f.model, bad, 2, 0, &text[0], text.size(), &len) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(lh_last_error()).find("512") != std::string::npos);
}

TEST_CASE("invalid UTF-8 becomes one U+FFFD per maximal invalid subpart", "[generation]") {
    const std::string R = "\xEF\xBF\xBD";
    // Valid text, including 2-, 3- and 4-byte characters, passes unchanged.
    CHECK(lh::valid_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x99z") == "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x99z");
    CHECK(lh::valid_utf8("") == "");
    // The Unicode standard's example (chapter 3, "U+FFFD Substitution of Maximal Subparts").
    CHECK(lh::valid_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
          "a" + R + R + R + "b" + R + "c" + R + R + "d");
    // Lone bytes of byte-fallback tokens; overlongs, surrogates and > U+10FFFF.
    CHECK(lh::valid_utf8("\x80") == R);
    CHECK(lh::valid_utf8("\xFF\xFE") == R + R);
    CHECK(lh::valid_utf8("\xF0") == R);
    CHECK(lh::valid_utf8("\xF0\x9F\xA6") == R);  // truncated at the end: one replacement
    CHECK(lh::valid_utf8("\xC0\xAF") == R + R);
    CHECK(lh::valid_utf8("\xE0\x80\xAF") == R + R + R);
    CHECK(lh::valid_utf8("\xED\xA0\x80") == R + R + R);
    CHECK(lh::valid_utf8("\xF4\x90\x80\x80") == R + R + R + R);
    CHECK(lh::valid_utf8("\xE2\x82x") == R + "x");
}
