// BPE and Phi-3 vocabularies against llama.cpp's ids (shared/reference/llamacpp/tokenize-bpe.json),
// the pre-tokenizers, special-token splitting in one pass, and cancel while tokenizing.
#include <catch2/catch.hpp>

#include <cstring>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "json_mini.h"
#include "longheads/longheads.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

#ifndef LH_SHARED_DIR
#define LH_SHARED_DIR "../shared"
#endif

using lh::TokenKind;
using lh::Vocab;
using lh::VocabData;

namespace {

const std::string kShared = LH_SHARED_DIR;

const Vocab &vocab_file(const std::string &name) {
    static std::map<std::string, std::unique_ptr<Vocab>> cache;
    auto it = cache.find(name);
    if (it == cache.end()) {
        auto file = lh::GgufFile::open(kShared + "/models/vocab/ggml-vocab-" + name + ".gguf");
        it = cache.emplace(name, std::make_unique<Vocab>(Vocab::from_gguf(*file))).first;
    }
    return *it->second;
}

std::vector<int32_t> ids_of(const json_mini::Value &v) {
    std::vector<int32_t> out;
    for (const auto &x : v.array) out.push_back(static_cast<int32_t>(x.num()));
    return out;
}

template <typename F>
lh_status status_of(F &&f) {
    try {
        f();
    } catch (const lh::Error &e) {
        return e.status();
    }
    return LH_OK;
}

}  // namespace

TEST_CASE("bpe: every llama.cpp reference string of the five vocabularies", "[tokenizer][bpe][reference]") {
    const json_mini::Value ref = json_mini::parse_file(kShared + "/reference/llamacpp/tokenize-bpe.json");
    const auto &vocabs = ref["vocabs"];
    int total = 0, equal = 0;
    for (const char *name : {"llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "phi-3"}) {
        const Vocab &v = vocab_file(name);
        for (const auto &c : vocabs[name]["cases"].array) {
            const std::string &text = c["text"].str();
            for (bool bos : {true, false}) {
                const auto expected = ids_of(c[bos ? "default_bos" : "no_bos"]);
                const auto got = v.tokenize(text, bos, true);
                ++total;
                if (got == expected) ++equal;
                INFO(name << " bos=" << bos << " text='" << text << "'");
                CHECK(got == expected);
            }
        }
    }
    WARN("tokenize-bpe.json: " << equal << "/" << total << " equal");
    CHECK(total == 300);
}

TEST_CASE("bpe: detokenize inverts tokenize for the BPE vocabularies", "[tokenizer][bpe]") {
    const std::string texts[] = {"Hello world", " leading", "tabs\tand\nnewlines\n\n", "数字 123 4567",
                                 "emoji 🦙🔥 and ünïcödé", "code: if (x) { return y; }"};
    for (const char *name : {"llama-bpe", "qwen2", "deepseek-llm"}) {
        const Vocab &v = vocab_file(name);
        for (const std::string &t : texts) {
            const auto ids = v.tokenize(t, false, false);
            INFO(name << " '" << t << "'");
            CHECK(v.detokenize(ids.data(), ids.size(), lh::DETOK_DEFAULT) == t);
        }
    }
}

TEST_CASE("bpe: unknown pre-tokenizer is refused by name", "[tokenizer][bpe]") {
    try {
        lh::bpe_flavour("no-such-pre");
        FAIL("no error");
    } catch (const lh::Error &e) {
        CHECK(e.status() == LH_ERROR_UNSUPPORTED);
        CHECK(std::string(e.what()).find("'no-such-pre'") != std::string::npos);
    }
}

namespace {

// The words a pre-tokenizer cuts a UTF-8 text into.
std::vector<std::string> words_of(lh::PreTokenizer kind, const std::string &text) {
    const std::vector<uint32_t> cps = lh::unicode::decode_all(text);
    std::vector<uint32_t> lengths;
    lh::pretokenize(kind, cps, lengths);
    std::vector<std::string> words;
    size_t at = 0;
    for (uint32_t len : lengths) {
        std::string w;
        for (size_t i = at; i < at + len; ++i) lh::unicode::append_utf8(cps[i], w);
        words.push_back(w);
        at += len;
    }
    CHECK(at == cps.size());
    return words;
}

using Words = std::vector<std::string>;

}  // namespace

// Expected cuts worked out from llama.cpp's expressions (quoted in pretokenizer.cpp); the live
// comparison on 600 random strings each is tests/oracle/test_tokenizer_oracle.py.
TEST_CASE("bpe: tekken, gpt-4o and smollm cut words as llama.cpp's expressions do", "[tokenizer][bpe]") {
    using P = lh::PreTokenizer;
    CHECK(words_of(P::TEKKEN, "HelloWorld") == Words{"Hello", "World"});
    CHECK(words_of(P::TEKKEN, "XMLHttpRequest") == Words{"XMLHttp", "Request"});
    CHECK(words_of(P::TEKKEN, "ABC def") == Words{"ABC", " def"});
    // a non-ASCII letter is upper and lower case: it ends the upper-case run "ÉA" on its own
    CHECK(words_of(P::TEKKEN, "\xC3\x89" "A's") == Words{"\xC3\x89", "A", "'s"});
    CHECK(words_of(P::TEKKEN, "a1b22c") == Words{"a", "1", "b", "2", "2", "c"});
    CHECK(words_of(P::TEKKEN, "ok.\n\n/x") == Words{"ok", ".\n\n/", "x"});
    CHECK(words_of(P::TEKKEN, "  x\n\n") == Words{" ", " x", "\n\n"});
    CHECK(words_of(P::GPT4O, "DON'T stop") == Words{"DON'T", " stop"});
    CHECK(words_of(P::GPT4O, "HTTPs a1b22c333d4444") == Words{"HTTPs", " a", "1", "b", "22", "c", "333", "d", "444", "4"});
    CHECK(words_of(P::SMOLLM, " 1 22") == Words{" ", "1", " ", "2", "2"});
    CHECK(words_of(P::SMOLLM, "I'll go4it") == Words{"I", "'ll", " go", "4", "it"});
    for (const char *name : {"tekken", "gpt-4o", "llama4", "smollm", "command-r", "pixtral"})
        CHECK(std::string(lh::bpe_flavour(name).name) == name);
    CHECK(lh::bpe_flavour("tekken").ignore_merges);
    CHECK(lh::bpe_flavour("tekken").add_bos);
    CHECK_FALSE(lh::bpe_flavour("gpt-4o").clean_spaces);
}

TEST_CASE("bpe: qwen35 joins combining marks to letters; later names map as llama.cpp maps them", "[tokenizer][bpe]") {
    using P = lh::PreTokenizer;
    const std::string acute = "\xCC\x81";  // U+0301, a combining mark
    // Qwen2 takes a mark only as the optional lead character of the next word; Qwen3.5 as a letter.
    CHECK(words_of(P::QWEN2, "e" + acute + "x") == Words{"e", acute + "x"});
    CHECK(words_of(P::QWEN35, "e" + acute + "x") == Words{"e" + acute + "x"});
    CHECK(words_of(P::QWEN35, "a " + acute + "b") == Words{"a", " " + acute + "b"});
    CHECK(words_of(P::QWEN35, "1" + acute + "!") == Words{"1", acute, "!"});
    CHECK(words_of(P::QWEN35, "ab12 !?") == Words{"ab", "1", "2", " !?"});
    CHECK(lh::bpe_flavour("qwen35").pre == P::QWEN35);
    CHECK(lh::bpe_flavour("grok-2").pre == P::QWEN2);
    CHECK(lh::bpe_flavour("exaone4").pre == P::GPT2);
    CHECK(lh::bpe_flavour("kanana2").pre == P::GPT4O);
    CHECK(lh::bpe_flavour("lfm2").ignore_merges);
    CHECK(lh::bpe_flavour("lfm2").add_bos);
}

TEST_CASE("unicode: llama.cpp's decoding of invalid UTF-8 and the classes", "[tokenizer][unicode]") {
    const std::string bad = "a\x80\xC3(\xE2\x82\xF4\x90\x80\x80\xF0\x9F\xA6\x99";
    const auto cps = lh::unicode::decode_all(bad);
    const std::vector<uint32_t> want = {'a', 0xFFFD, 0xFFFD, '(', 0xFFFD, 0xFFFD, 0xFFFD, 0x1F999};
    CHECK(cps == want);
    CHECK(lh::unicode::char_class('A') == lh::unicode::LETTER);
    CHECK(lh::unicode::char_class(0x4E00) == lh::unicode::LETTER);
    CHECK(lh::unicode::char_class(0x0663) == lh::unicode::NUMBER);  // Arabic-Indic three
    CHECK(lh::unicode::char_class(0x2EBF0) == lh::unicode::LETTER);  // Unicode 15.1 CJK Ext. I
    CHECK(lh::unicode::char_class(0x1C89) == lh::unicode::UNDEFINED);  // assigned only in 16.0
    CHECK(lh::unicode::is_white_space(0x3000));
    CHECK(!lh::unicode::is_white_space(0x1C));
}

namespace {

// A SentencePiece vocabulary with byte tokens, a few normal tokens and n user-defined tokens
// "<tok_NNNNNN>".
VocabData many_user_tokens(int n) {
    VocabData d;
    d.tokens = {"<unk>", "<s>", "</s>"};
    d.kinds = {TokenKind::UNKNOWN, TokenKind::CONTROL, TokenKind::CONTROL};
    static const char *hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        d.tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
        d.kinds.push_back(TokenKind::BYTE);
    }
    for (const char *t : {"\xE2\x96\x81" "a", "b", "c"}) {
        d.tokens.push_back(t);
        d.kinds.push_back(TokenKind::NORMAL);
    }
    char buf[32];
    for (int i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "<tok_%06d>", i);
        d.tokens.push_back(buf);
        d.kinds.push_back(TokenKind::USER_DEFINED);
    }
    d.bos = 1, d.eos = 2, d.unk = 0;
    return d;
}

}  // namespace

TEST_CASE("special tokens: 300k user-defined tokens cost one pass over the text", "[tokenizer][special]") {
    const Vocab v(many_user_tokens(300000));
    const int32_t first_user = 3 + 256 + 3;
    // 100 KB: text with a user-defined token every ~50 bytes and '<' that lead nowhere.
    std::string text;
    std::vector<int32_t> embedded;
    for (int i = 0; text.size() < 100000; ++i) {
        text += "abc <tok_ bc a<b c ";
        char buf[32];
        std::snprintf(buf, sizeof buf, "<tok_%06d>", (i * 7919) % 300000);
        text += buf;
        embedded.push_back(first_user + (i * 7919) % 300000);
    }
    const uint64_t before = lh::SpecialTokenMatcher::steps_in_thread();
    const auto ids = v.tokenize(text, false, false);
    const uint64_t steps = lh::SpecialTokenMatcher::steps_in_thread() - before;
    // Scanning once per special token (llama.cpp's way) would take 300k passes over the text;
    // one pass takes at most (longest token) steps per byte.
    CHECK(steps <= 12 * text.size());
    std::vector<int32_t> found;
    for (int32_t id : ids)
        if (id >= first_user) found.push_back(id);
    CHECK(found == embedded);
}

TEST_CASE("special tokens: longest first, then leftmost, as llama.cpp partitions", "[tokenizer][special]") {
    VocabData d = many_user_tokens(0);
    const int32_t base = static_cast<int32_t>(d.tokens.size());
    for (const char *t : {"ab", "bcd", "aa"}) {
        d.tokens.push_back(t);
        d.kinds.push_back(TokenKind::USER_DEFINED);
    }
    const Vocab v(std::move(d));
    const int32_t ab = base, bcd = base + 1, aa = base + 2;
    // "bcd" is longer: cut first, so "ab" cannot take the 'b'.
    auto ids = v.tokenize("abcd", false, false);
    CHECK(ids.back() == bcd);
    CHECK(std::find(ids.begin(), ids.end(), ab) == ids.end());
    // Leftmost occurrences first, no overlaps: "aaa" -> [aa] "a".
    const int32_t space_a = 3 + 256;  // "▁a"
    CHECK(v.tokenize("aaa", false, false) == std::vector<int32_t>{aa, space_a});
    CHECK(v.tokenize("aaab", false, false) == std::vector<int32_t>{aa, ab});
    // Equal lengths: the lower id first (llama.cpp's sort leaves such ties unspecified).
    CHECK(v.tokenize("aab", false, false) == std::vector<int32_t>{space_a, ab});
}

TEST_CASE("special tokens: cancel stops a long tokenization", "[tokenizer][special][cancel]") {
    const Vocab v(many_user_tokens(1000));
    std::string text;
    while (text.size() < (8u << 20)) text += "a b c <tok_000001> cab ";
    std::atomic<bool> cancel{true};
    // Set before the call: refused at the first look.
    try {
        v.tokenize(text, false, false, &cancel);
        FAIL("not cancelled");
    } catch (const lh::Error &e) {
        CHECK(e.status() == LH_ERROR_CANCELLED);
    }
    // Set while it runs (8 MB takes seconds): the call returns CANCELLED, not the tokens.
    cancel = false;
    lh_status status = LH_OK;
    std::thread worker([&] { status = status_of([&] { v.tokenize(text, false, false, &cancel); }); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
    worker.join();
    CHECK(status == LH_ERROR_CANCELLED);
}

TEST_CASE("vocab_only: a vocabulary-only GGUF loads for tokenizing and refuses evaluation", "[tokenizer][bpe][api]") {
    const std::string path = kShared + "/models/vocab/ggml-vocab-llama-bpe.gguf";
    lh_model_params params;
    lh_model_params_init(&params);
    lh_model *model = nullptr;
    // Without vocab_only the file is missing its weights: refused with a clear error.
    CHECK(lh_model_load(path.c_str(), &params, &model) != LH_OK);
    CHECK(model == nullptr);
    params.vocab_only = 1;
    REQUIRE(lh_model_load(path.c_str(), &params, &model) == LH_OK);
    int32_t ids[8];
    size_t n = 0;
    const char *text = "Hello world";
    REQUIRE(lh_tokenize(model, text, std::strlen(text), 1, 0, ids, 8, &n) == LH_OK);
    CHECK(std::vector<int32_t>(ids, ids + n) == std::vector<int32_t>{128000, 9906, 1917});
    lh_model_info info;
    info.struct_size = sizeof info;
    REQUIRE(lh_model_get_info(model, &info) == LH_OK);
    CHECK(info.n_vocab == 128256);
    CHECK(info.n_layer == 0);
    lh_context *ctx = nullptr;
    CHECK(lh_context_create(model, nullptr, &ctx) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(lh_last_error()).find("vocab_only") != std::string::npos);
    CHECK(ctx == nullptr);
    params.vocab_only = 2;
    lh_model *bad = nullptr;
    CHECK(lh_model_load(path.c_str(), &params, &bad) == LH_ERROR_INVALID_ARGUMENT);
    lh_model_free(model);
}
