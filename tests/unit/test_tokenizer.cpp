// SentencePiece tokenizer: llama.cpp's reference outputs for the shared models, edge cases,
// validation, and the streaming decoder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "json_mini.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

#ifndef LH_SHARED_DIR
#define LH_SHARED_DIR "../shared"
#endif

using lh::StreamDecoder;
using lh::TokenKind;
using lh::Vocab;
using lh::VocabData;

namespace {

const std::string kShared = LH_SHARED_DIR;

const Vocab &shared_vocab(const std::string &name) {
    static std::map<std::string, std::unique_ptr<Vocab>> cache;
    auto it = cache.find(name);
    if (it == cache.end()) {
        auto file = lh::GgufFile::open(kShared + "/models/" + name + ".gguf");
        it = cache.emplace(name, std::make_unique<Vocab>(Vocab::from_gguf(*file))).first;
    }
    return *it->second;
}

const json_mini::Value &reference() {
    static json_mini::Value ref = json_mini::parse_file(kShared + "/reference/llamacpp/tokenize.json");
    return ref;
}

std::vector<int32_t> ids_of(const json_mini::Value &v) {
    std::vector<int32_t> out;
    for (const auto &x : v.array) out.push_back(static_cast<int32_t>(x.num()));
    return out;
}

std::string to_hex(const std::string &s) {
    static const char *hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::string detok(const Vocab &v, const std::vector<int32_t> &ids, int flags) {
    return v.detokenize(ids.data(), ids.size(), flags);
}

std::string stream_all(const Vocab &v, const std::vector<int32_t> &ids, bool strip, std::vector<std::string> *chunks = nullptr) {
    StreamDecoder dec(strip);
    std::string out;
    for (int32_t id : ids) {
        std::string c = dec.push(v, id);
        if (chunks) chunks->push_back(c);
        out += c;
    }
    std::string tail = dec.flush();
    if (chunks) chunks->push_back(tail);
    return out + tail;
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

template <typename F>
std::string message_of(F &&f) {
    try {
        f();
    } catch (const lh::Error &e) {
        return e.what();
    }
    return "";
}

// A tiny vocabulary: <unk> <s> </s>, 256 byte tokens, then the given normal tokens.
VocabData small_vocab(const std::vector<std::pair<std::string, float>> &normal) {
    VocabData d;
    d.tokens = {"<unk>", "<s>", "</s>"};
    d.kinds = {TokenKind::UNKNOWN, TokenKind::CONTROL, TokenKind::CONTROL};
    d.scores = {0, 0, 0};
    static const char *hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        d.tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
        d.kinds.push_back(TokenKind::BYTE);
        d.scores.push_back(0);
    }
    for (const auto &t : normal) {
        d.tokens.push_back(t.first);
        d.kinds.push_back(TokenKind::NORMAL);
        d.scores.push_back(t.second);
    }
    d.bos = 1, d.eos = 2, d.unk = 0;
    return d;
}

// Minimal GGUF v3 image builder for from_gguf tests (metadata only, no tensors).
struct GgufBuilder {
    std::vector<uint8_t> bytes;
    uint64_t n_kv = 0;
    std::vector<uint8_t> kv;

    template <typename T>
    static void put(std::vector<uint8_t> &b, T v) {
        uint8_t tmp[sizeof(T)];
        std::memcpy(tmp, &v, sizeof(T));
        b.insert(b.end(), tmp, tmp + sizeof(T));
    }
    static void put_str(std::vector<uint8_t> &b, const std::string &s) {
        put<uint64_t>(b, s.size());
        b.insert(b.end(), s.begin(), s.end());
    }
    void key(const std::string &k, uint32_t type) {
        ++n_kv;
        put_str(kv, k);
        put<uint32_t>(kv, type);
    }
    void str(const std::string &k, const std::string &v) {
        key(k, 8);
        put_str(kv, v);
    }
    void u32(const std::string &k, uint32_t v) {
        key(k, 4);
        put<uint32_t>(kv, v);
    }
    void boolean(const std::string &k, bool v) {
        key(k, 7);
        put<uint8_t>(kv, v ? 1 : 0);
    }
    void str_array(const std::string &k, const std::vector<std::string> &v) {
        key(k, 9);
        put<uint32_t>(kv, 8);
        put<uint64_t>(kv, v.size());
        for (const auto &s : v) put_str(kv, s);
    }
    void f32_array(const std::string &k, const std::vector<float> &v) {
        key(k, 9);
        put<uint32_t>(kv, 6);
        put<uint64_t>(kv, v.size());
        for (float f : v) put<float>(kv, f);
    }
    void i32_array(const std::string &k, const std::vector<int32_t> &v) {
        key(k, 9);
        put<uint32_t>(kv, 5);
        put<uint64_t>(kv, v.size());
        for (int32_t x : v) put<int32_t>(kv, x);
    }
    std::unique_ptr<lh::GgufFile> build() const {
        std::vector<uint8_t> b;
        put<uint32_t>(b, 0x46554747);
        put<uint32_t>(b, 3);
        put<uint64_t>(b, 0);
        put<uint64_t>(b, n_kv);
        b.insert(b.end(), kv.begin(), kv.end());
        while (b.size() % 32) b.push_back(0);
        return lh::GgufFile::from_bytes(b.data(), b.size());
    }
};

// The tokenizer keys of a small vocabulary.
void add_small_vocab(GgufBuilder &g, const VocabData &d) {
    g.str_array("tokenizer.ggml.tokens", d.tokens);
    g.f32_array("tokenizer.ggml.scores", d.scores);
    std::vector<int32_t> types;
    for (TokenKind k : d.kinds) types.push_back(static_cast<int32_t>(k));
    g.i32_array("tokenizer.ggml.token_type", types);
}

const char *const kModels[] = {"stories260K", "llama-2-tiny-random"};

}  // namespace

TEST_CASE("tokenizer: every llama.cpp reference case of both shared models", "[tokenizer][reference]") {
    const auto &models = reference()["models"];
    for (const char *name : kModels) {
        const auto &m = models[name];
        const Vocab &v = shared_vocab(name);
        INFO("model " << name);
        CHECK(v.size() == static_cast<int32_t>(m["n_vocab"].num()));
        CHECK(v.bos() == static_cast<int32_t>(m["bos"].num()));
        CHECK(v.eos() == static_cast<int32_t>(m["eos"].num()));
        CHECK(v.add_bos() == m["add_bos"].boolean_value());
        CHECK(v.add_eos() == m["add_eos"].boolean_value());
        REQUIRE(m["cases"].size() >= 10);
        for (const auto &c : m["cases"].array) {
            const std::string &text = c["text"].str();
            INFO("text '" << text << "'");
            for (const char *mode : {"with_bos", "without_bos"}) {
                INFO(mode);
                const auto &r = c[mode];
                const bool bos = std::string(mode) == "with_bos";
                std::vector<int32_t> expected = ids_of(r["ids"]);
                std::vector<int32_t> ids = v.tokenize(text, bos, false);
                CHECK(ids == expected);
                // Detokenize the reference ids (not ours) so each check stands alone.
                CHECK(detok(v, expected, lh::DETOK_DEFAULT) == r["detok"].str());
                CHECK(detok(v, expected, lh::DETOK_RENDER_SPECIAL) == r["detok_unparse_special"].str());
                CHECK(detok(v, expected, lh::DETOK_REMOVE_SPECIAL) == r["detok_remove_special"].str());
                REQUIRE(r["pieces_hex"].size() == expected.size());
                for (size_t i = 0; i < expected.size(); ++i)
                    CHECK(to_hex(v.piece(expected[i], true)) == r["pieces_hex"][i].str());
                // The stream decoder reproduces the default detokenization.
                CHECK(stream_all(v, expected, true) == r["detok"].str());
            }
        }
    }
}

TEST_CASE("tokenizer: metadata of the shared models", "[tokenizer]") {
    const Vocab &s = shared_vocab("stories260K");
    CHECK(s.unk() == 0);
    CHECK(s.add_space_prefix());
    CHECK(s.kind(0) == TokenKind::UNKNOWN);
    CHECK(s.kind(1) == TokenKind::CONTROL);
    CHECK(s.kind(3) == TokenKind::BYTE);
    CHECK(s.token_text(1) == "<s>");
    CHECK(s.find("<s>") == 1);
    CHECK(s.find("no such token") == -1);
    CHECK(s.is_eog(2));
    CHECK_FALSE(s.is_eog(1));
    CHECK_FALSE(s.is_eog(-1));
    CHECK_FALSE(s.is_eog(512));
    CHECK(s.is_control(1));
    CHECK_FALSE(s.is_control(0));
    CHECK_FALSE(s.is_control(100000));
    const Vocab &l = shared_vocab("llama-2-tiny-random");
    CHECK(l.size() == 32000);
    CHECK(l.find("\xE2\x96\x81Hello") == 15043);
    CHECK(l.score(15043) == l.score(15043));  // finite
}

TEST_CASE("tokenizer: empty text, spaces and newlines", "[tokenizer]") {
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        INFO(name);
        CHECK(v.tokenize("", false, false).empty());
        CHECK(v.tokenize("", true, false) == std::vector<int32_t>{v.bos()});
        CHECK(v.tokenize("", false, true).empty());
        CHECK(detok(v, {}, lh::DETOK_DEFAULT).empty());
        for (const std::string text : {" ", "  ", "     ", "\n", "\n\n", " \n ", "\t", "a\n", "\r\n", "a  b"}) {
            INFO("text '" << text << "'");
            std::vector<int32_t> ids = v.tokenize(text, false, false);
            REQUIRE_FALSE(ids.empty());
            CHECK(detok(v, ids, lh::DETOK_DEFAULT) == text);
            std::vector<int32_t> with = v.tokenize(text, true, false);
            REQUIRE(with.size() == ids.size() + 1);
            CHECK(with[0] == v.bos());
            CHECK(std::vector<int32_t>(with.begin() + 1, with.end()) == ids);
            CHECK(detok(v, with, lh::DETOK_DEFAULT) == " " + text);
        }
    }
    // Llama 2: a lone space is one "▁▁" token (259) after the prefix; a newline is <0x0A>.
    const Vocab &l = shared_vocab("llama-2-tiny-random");
    CHECK(l.tokenize(" ", false, false) == std::vector<int32_t>{259});
    CHECK(l.tokenize("\n", false, false) == std::vector<int32_t>{29871, 13});
}

TEST_CASE("tokenizer: round trip of arbitrary text, byte fallback for emoji and CJK", "[tokenizer]") {
    const std::vector<std::string> texts = {
        "Hello, world!", "日本語のテキスト", "emoji 🦙🦙 and 👍🏽 skin tone", "mixed ümlaut ß and Ελληνικά",
        "tabs\tand\nnewlines\r\n", "   leading and trailing   ", "\xF0\x9F\xA6\x99", "a\xCC\x81 (combining)",
        "<s> looks special </s>", "12345678901234567890", "\xE2\x96\x81 literal U+2581",
    };
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        for (const auto &text : texts) {
            INFO(name << ": '" << text << "'");
            std::vector<int32_t> ids = v.tokenize(text, false, false);
            // Only a literal U+2581 does not survive: it reads as a space.
            std::string expected = text;
            if (text.rfind("\xE2\x96\x81", 0) == 0) expected = " " + text.substr(3);
            CHECK(detok(v, ids, lh::DETOK_DEFAULT) == expected);
            CHECK(stream_all(v, ids, true) == expected);
        }
    }
    // The 260K vocabulary has no CJK tokens: each character is three byte tokens.
    const Vocab &s = shared_vocab("stories260K");
    std::vector<int32_t> ids = s.tokenize("日", false, false);
    // "▁" then 0xE6 0x97 0xA5 (byte token id = byte + 3).
    REQUIRE(ids.size() == 4);
    CHECK(ids[1] == 0xE6 + 3);
    CHECK(ids[2] == 0x97 + 3);
    CHECK(ids[3] == 0xA5 + 3);
}

TEST_CASE("tokenizer: invalid UTF-8 input becomes byte tokens and round-trips", "[tokenizer]") {
    // Documented result: a stray continuation byte or an invalid lead byte is one symbol; a lead
    // byte claims its full length even if the following bytes are not continuations; nothing
    // fails and the bytes come back unchanged.
    const std::vector<std::string> texts = {
        std::string("\xFF"), std::string("\xFF\xFE"), std::string("abc\xE6"), std::string("\xE6" "ab"),
        std::string("\x80\x80\x80"), std::string("x\xC3"), std::string("\xF8\x88\x80\x80\x80"),
        std::string("a\0b", 3), std::string("\xED\xA0\x80 surrogate"), std::string("\xC0\xAF overlong"),
    };
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        for (const auto &text : texts) {
            INFO(name << ": " << to_hex(text));
            std::vector<int32_t> ids;
            REQUIRE_NOTHROW(ids = v.tokenize(text, true, true));
            for (int32_t id : ids) {
                CHECK(id >= 0);
                CHECK(id < v.size());
            }
            CHECK(detok(v, ids, lh::DETOK_REMOVE_SPECIAL) == " " + text);
            CHECK(stream_all(v, std::vector<int32_t>(ids.begin() + 1, ids.end()), true) == text);
        }
    }
    const Vocab &s = shared_vocab("stories260K");
    CHECK(s.tokenize("\xFF", false, false) == std::vector<int32_t>{410, 0xFF + 3});
    // llama.cpp quirk: spaces become U+2581 before the text is split into characters, so a
    // truncated lead byte swallows the first byte of the following "\xE2\x96\x81" and the space
    // comes back as the raw bytes of U+2581.
    std::vector<int32_t> q = s.tokenize("\xC3 x", false, false);
    CHECK(q == std::vector<int32_t>{410, 0xC3 + 3, 0xE2 + 3, 0x96 + 3, 0x81 + 3, s.find("x")});
    CHECK(detok(s, q, lh::DETOK_DEFAULT) == "\xC3\xE2\x96\x81x");
}

TEST_CASE("tokenizer: parse_special turns control-token texts into their ids", "[tokenizer]") {
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        INFO(name);
        std::vector<int32_t> hello = v.tokenize("hello", false, false);
        std::vector<int32_t> expected = {1};
        expected.insert(expected.end(), hello.begin(), hello.end());
        expected.push_back(2);
        // Each text fragment after a special token gets the space prefix again.
        CHECK(v.tokenize("<s>hello</s>", false, true) == expected);
        std::vector<int32_t> with_bos = v.tokenize("<s>hello</s>", true, true);
        CHECK(with_bos.size() == expected.size() + 1);
        CHECK(with_bos[0] == 1);
        CHECK(std::vector<int32_t>(with_bos.begin() + 1, with_bos.end()) == expected);
        CHECK(v.tokenize("<s>", false, true) == std::vector<int32_t>{1});
        CHECK(v.tokenize("<unk>", false, true) == std::vector<int32_t>{0});
        // Without parse_special the text is ordinary text and no control token appears.
        std::vector<int32_t> plain = v.tokenize("<s>hello</s>", false, false);
        for (int32_t id : plain) {
            CHECK(id != 1);
            CHECK(id != 2);
        }
        CHECK(detok(v, plain, lh::DETOK_DEFAULT) == "<s>hello</s>");
        // Rendering: control tokens vanish by default, show with RENDER_SPECIAL.
        CHECK(detok(v, expected, lh::DETOK_DEFAULT) == " hello");  // first token is BOS: space kept
        CHECK(detok(v, expected, lh::DETOK_RENDER_SPECIAL) == "<s> hello</s>");
        // "a<s>b": the text after the special token gets its own "▁".
        std::vector<int32_t> ab = v.tokenize("a<s>b", false, true);
        std::vector<int32_t> a = v.tokenize("a", false, false), b = v.tokenize("b", false, false);
        std::vector<int32_t> want = a;
        want.push_back(1);
        want.insert(want.end(), b.begin(), b.end());
        CHECK(ab == want);
        CHECK(detok(v, ab, lh::DETOK_DEFAULT) == "a b");
    }
}

TEST_CASE("tokenizer: detokenize leading-space and REMOVE_SPECIAL rules", "[tokenizer]") {
    const Vocab &l = shared_vocab("llama-2-tiny-random");
    const std::vector<int32_t> hello = {15043, 3186};  // "▁Hello", "▁world"
    CHECK(detok(l, hello, lh::DETOK_DEFAULT) == "Hello world");
    CHECK(detok(l, {1, 15043, 3186}, lh::DETOK_DEFAULT) == " Hello world");
    CHECK(detok(l, {1, 15043, 3186}, lh::DETOK_REMOVE_SPECIAL) == " Hello world");
    CHECK(detok(l, {1, 15043, 3186}, lh::DETOK_REMOVE_SPECIAL | lh::DETOK_RENDER_SPECIAL) == " Hello world");
    // A leading EOS (not BOS) is not removed; its empty piece still uses up the strip.
    CHECK(detok(l, {2, 15043}, lh::DETOK_DEFAULT) == " Hello");
    CHECK(detok(l, {2, 15043}, lh::DETOK_RENDER_SPECIAL) == "</s> Hello");
    // add_eos is false for this vocabulary: a trailing EOS is kept by REMOVE_SPECIAL (hidden
    // in the default rendering anyway).
    CHECK(detok(l, {15043, 2}, lh::DETOK_REMOVE_SPECIAL | lh::DETOK_RENDER_SPECIAL) == "Hello</s>");
    // Only one space is stripped, and only from the first token.
    CHECK(detok(l, {259, 15043}, lh::DETOK_DEFAULT) == "  Hello");  // "▁▁" + "▁Hello"
    CHECK(detok(l, {29871, 29871}, lh::DETOK_DEFAULT) == " ");
    // A byte token for ' ' first is stripped too (it is the first piece's leading space).
    CHECK(detok(l, {0x20 + 3, 15043}, lh::DETOK_DEFAULT) == " Hello");
    // piece(): render flag.
    CHECK(l.piece(1, false).empty());
    CHECK(l.piece(1, true) == "<s>");
    CHECK(l.piece(0, false).empty());
    CHECK(l.piece(0, true) == "<unk>");
    CHECK(l.piece(13, false) == "\n");
    CHECK(l.piece(15043, false) == " Hello");
}

TEST_CASE("tokenizer: out-of-range ids are refused", "[tokenizer]") {
    // Callers (the C API) validate ids first; Vocab throws INVALID_ARGUMENT as a safety net.
    const Vocab &s = shared_vocab("stories260K");
    CHECK(status_of([&] { s.piece(-1, true); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { s.piece(512, true); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { s.token_text(512); }) == LH_ERROR_INVALID_ARGUMENT);
    std::vector<int32_t> bad = {1, 300, 512};
    CHECK(status_of([&] { detok(s, bad, lh::DETOK_DEFAULT); }) == LH_ERROR_INVALID_ARGUMENT);
    StreamDecoder dec(true);
    CHECK(status_of([&] { dec.push(s, 99999); }) == LH_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("tokenizer: merges take the highest-scoring pair, leftmost on ties", "[tokenizer]") {
    const std::string sp = "\xE2\x96\x81";
    {
        // "abc": "bc" outscores "ab" -> a + bc.
        Vocab v(small_vocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -5}, {"bc", -2}}));
        int32_t a = v.find("a"), bc = v.find("bc");
        std::vector<int32_t> ids = v.tokenize("abc", false, false);
        // The prefix "▁" is not a token here: it falls back to its three bytes.
        std::vector<int32_t> want = {0xE2 + 3, 0x96 + 3, 0x81 + 3, a, bc};
        CHECK(ids == want);
        Vocab v2(small_vocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2}, {"bc", -5}}));
        ids = v2.tokenize("abc", false, false);
        want = {0xE2 + 3, 0x96 + 3, 0x81 + 3, v2.find("ab"), v2.find("c")};
        CHECK(ids == want);
    }
    {
        // Equal scores: the leftmost pair merges first ("aaa" -> "aa" + "a").
        VocabData d = small_vocab({{"a", -1}, {"aa", -3}});
        d.add_space_prefix = false;
        Vocab v(d);
        CHECK(v.tokenize("aaa", false, false) == std::vector<int32_t>{v.find("aa"), v.find("a")});
        CHECK(v.tokenize("aaaa", false, false) == std::vector<int32_t>{v.find("aa"), v.find("aa")});
        // No space prefix: detokenize strips nothing either.
        CHECK(v.detokenize(nullptr, 0, 0).empty());
    }
    {
        // Merges chain through intermediate tokens, re-checking neighbours after each merge.
        VocabData d = small_vocab({{sp, -1}, {"h", -1}, {"e", -1}, {"y", -1}, {"he", -2}, {"hey", -3}, {sp + "hey", -4}});
        Vocab v(d);
        CHECK(v.tokenize("hey", false, false) == std::vector<int32_t>{v.find(sp + "hey")});
        CHECK(v.tokenize("hey hey", false, false) == std::vector<int32_t>{v.find(sp + "hey"), v.find(sp + "hey")});
        CHECK(v.tokenize("hex", false, false) ==
              std::vector<int32_t>{v.find(sp), v.find("he"), 'x' + 3});
        int32_t ids[] = {v.find(sp + "hey"), v.find(sp + "hey")};
        CHECK(v.detokenize(ids, 2, 0) == "hey hey");
    }
}

TEST_CASE("tokenizer: USER_DEFINED tokens are always split out, CONTROL only with parse_special", "[tokenizer]") {
    VocabData d = small_vocab({{"\xE2\x96\x81", -1}, {"x", -1}});
    d.tokens.push_back("<tool>");
    d.kinds.push_back(TokenKind::USER_DEFINED);
    d.scores.push_back(0);
    d.tokens.push_back("<ctl>");
    d.kinds.push_back(TokenKind::CONTROL);
    d.scores.push_back(0);
    d.tokens.push_back("<ctl>x");  // longer special token wins over its prefix
    d.kinds.push_back(TokenKind::CONTROL);
    d.scores.push_back(0);
    Vocab v(d);
    const int32_t tool = v.find("<tool>"), ctl = v.find("<ctl>"), ctlx = v.find("<ctl>x");
    const int32_t sp = v.find("\xE2\x96\x81"), x = v.find("x");
    CHECK(v.tokenize("x<tool>x", false, false) == std::vector<int32_t>{sp, x, tool, sp, x});
    CHECK(v.tokenize("<tool>", false, false) == std::vector<int32_t>{tool});
    std::vector<int32_t> plain = v.tokenize("<ctl>", false, false);
    CHECK(std::find(plain.begin(), plain.end(), ctl) == plain.end());
    CHECK(v.tokenize("<ctl>", false, true) == std::vector<int32_t>{ctl});
    CHECK(v.tokenize("<ctl>x<ctl>", false, true) == std::vector<int32_t>{ctlx, ctl});
    // USER_DEFINED pieces are their text (with no U+2581 unescaping), shown in every mode.
    CHECK(v.piece(tool, false) == "<tool>");
    CHECK(v.piece(ctl, false).empty());
}

TEST_CASE("tokenizer: add_eos appends EOS when special tokens are added", "[tokenizer]") {
    VocabData d = small_vocab({{"\xE2\x96\x81" "a", -1}});
    d.add_eos = true;
    Vocab v(d);
    const int32_t a = v.find("\xE2\x96\x81" "a");
    CHECK(v.tokenize("a", true, false) == std::vector<int32_t>{1, a, 2});
    CHECK(v.tokenize("a", false, false) == std::vector<int32_t>{a});
    std::vector<int32_t> ids = {1, a, 2};
    CHECK(detok(v, ids, lh::DETOK_REMOVE_SPECIAL | lh::DETOK_RENDER_SPECIAL) == " a");
    CHECK(detok(v, ids, lh::DETOK_RENDER_SPECIAL) == "<s> a</s>");
    VocabData nobos = small_vocab({{"\xE2\x96\x81" "a", -1}});
    nobos.add_bos = false;
    Vocab w(nobos);
    CHECK(w.tokenize("a", true, false) == std::vector<int32_t>{a});
    // REMOVE_SPECIAL keeps a leading BOS when the vocabulary does not add one (llama.cpp).
    CHECK(detok(w, {1, a}, lh::DETOK_REMOVE_SPECIAL | lh::DETOK_RENDER_SPECIAL) == "<s> a");
}

TEST_CASE("tokenizer: end-of-generation tokens", "[tokenizer]") {
    VocabData d = small_vocab({{"hi", -1}, {"<|im_end|>", 0}, {"<|eot_id|>", 0}, {"<my_eot>", 0}});
    d.eot = static_cast<int32_t>(d.tokens.size()) - 1;
    Vocab v(d);
    CHECK(v.is_eog(2));
    CHECK(v.is_eog(v.find("<my_eot>")));
    CHECK(v.is_eog(v.find("<|im_end|>")));  // by text, as llama.cpp
    CHECK(v.is_control(v.find("<|im_end|>")));  // and made CONTROL
    CHECK(v.is_eog(v.find("<|eot_id|>")));
    CHECK_FALSE(v.is_eog(v.find("hi")));
    CHECK_FALSE(v.is_eog(1));
}

TEST_CASE("tokenizer: Vocab validates its data", "[tokenizer][validation]") {
    auto bad = [](VocabData d) { return status_of([&] { Vocab v(std::move(d)); }); };
    CHECK(bad(VocabData{}) == LH_ERROR_BAD_FORMAT);
    {
        VocabData d = small_vocab({{"a", 0}});
        d.scores.pop_back();
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.kinds.push_back(TokenKind::NORMAL);
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.bos = static_cast<int32_t>(d.tokens.size());
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
        d.bos = -2;
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
        d.bos = -1;  // add_bos without a BOS token
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
        d.add_bos = false;
        CHECK(bad(d) == LH_OK);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.eos = -1;
        d.add_eos = true;
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}, {"a", -1}});
        CHECK(message_of([&] { Vocab v(d); }).find("duplicate") != std::string::npos);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.scores.back() = std::nanf("");
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.kinds.back() = static_cast<TokenKind>(9);
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}});
        d.kinds.back() = TokenKind::BYTE;  // "a" is not "<0xNN>"
        CHECK(bad(d) == LH_ERROR_BAD_FORMAT);
    }
    {
        VocabData d = small_vocab({{"a", 0}, {"", 0}});  // empty text renamed as llama.cpp does
        Vocab v(d);
        CHECK(v.token_text(v.size() - 1) == "[EMPTY_" + std::to_string(v.size() - 1) + "]");
    }
    {
        // Scores and kinds may be omitted: all 0 / NORMAL.
        VocabData d;
        d.tokens = {"a", "b", "\xE2\x96\x81"};
        d.add_bos = false;
        Vocab v(d);
        CHECK(v.kind(1) == TokenKind::NORMAL);
        CHECK(v.tokenize("ab", false, false) == std::vector<int32_t>{2, 0, 1});
        // No byte tokens and no UNK: a character outside the vocabulary cannot be encoded.
        CHECK(status_of([&] { v.tokenize("z", false, false); }) == LH_ERROR_UNSUPPORTED);
        d.tokens.push_back("<unk>");
        d.unk = 3;
        Vocab u(d);
        CHECK(u.tokenize("z", false, false) == std::vector<int32_t>{2, 3});
    }
}

TEST_CASE("tokenizer: from_gguf reads and validates tokenizer metadata", "[tokenizer][validation]") {
    VocabData d = small_vocab({{"\xE2\x96\x81" "a", -1}});
    {
        GgufBuilder g;
        g.str("tokenizer.ggml.model", "llama");
        add_small_vocab(g, d);
        g.u32("tokenizer.ggml.bos_token_id", 1);
        g.u32("tokenizer.ggml.eos_token_id", 2);
        g.boolean("tokenizer.ggml.add_space_prefix", false);
        Vocab v = Vocab::from_gguf(*g.build());
        CHECK(v.size() == static_cast<int32_t>(d.tokens.size()));
        CHECK(v.bos() == 1);
        CHECK(v.unk() == 0);  // llama.cpp's default
        CHECK_FALSE(v.add_space_prefix());
        CHECK(v.add_bos());
        CHECK(v.tokenize("a", false, false) == std::vector<int32_t>{'a' + 3});
    }
    {
        GgufBuilder g;
        g.str("tokenizer.ggml.model", "bert");
        add_small_vocab(g, d);
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_UNSUPPORTED);
        CHECK(message_of([&] { Vocab::from_gguf(*g.build()); }).find("'bert'") != std::string::npos);
    }
    {
        GgufBuilder g;  // BPE with a pre-tokenizer we do not know: named in the error
        g.str("tokenizer.ggml.model", "gpt2");
        g.str("tokenizer.ggml.pre", "made-up-pre");
        g.str_array("tokenizer.ggml.merges", {"a b"});
        add_small_vocab(g, d);
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_UNSUPPORTED);
        CHECK(message_of([&] { Vocab::from_gguf(*g.build()); }).find("'made-up-pre'") != std::string::npos);
    }
    {
        GgufBuilder g;  // no model key
        add_small_vocab(g, d);
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // no tokens
        g.str("tokenizer.ggml.model", "llama");
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // empty token list
        g.str("tokenizer.ggml.model", "llama");
        g.str_array("tokenizer.ggml.tokens", {});
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // scores of the wrong length
        g.str("tokenizer.ggml.model", "llama");
        g.str_array("tokenizer.ggml.tokens", d.tokens);
        g.f32_array("tokenizer.ggml.scores", {1.0f, 2.0f});
        CHECK(message_of([&] { Vocab::from_gguf(*g.build()); }).find("tokenizer.ggml.scores") != std::string::npos);
    }
    {
        GgufBuilder g;  // tokens of the wrong type
        g.str("tokenizer.ggml.model", "llama");
        g.f32_array("tokenizer.ggml.tokens", {1.0f});
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // token type out of range
        g.str("tokenizer.ggml.model", "llama");
        g.str_array("tokenizer.ggml.tokens", {"a", "b", "c"});
        g.i32_array("tokenizer.ggml.token_type", {1, 7, 1});
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // BOS id out of range
        g.str("tokenizer.ggml.model", "llama");
        add_small_vocab(g, d);
        g.u32("tokenizer.ggml.bos_token_id", 100000);
        CHECK(message_of([&] { Vocab::from_gguf(*g.build()); }).find("bos_token_id") != std::string::npos);
    }
    {
        GgufBuilder g;  // 0xFFFFFFFF means "none"
        g.str("tokenizer.ggml.model", "llama");
        add_small_vocab(g, d);
        g.u32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu);
        g.u32("tokenizer.ggml.unknown_token_id", 0xFFFFFFFFu);
        Vocab v = Vocab::from_gguf(*g.build());
        CHECK(v.unk() == -1);
    }
    {
        GgufBuilder g;  // wrong scalar type for an id
        g.str("tokenizer.ggml.model", "llama");
        add_small_vocab(g, d);
        g.str("tokenizer.ggml.eos_token_id", "2");
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
    {
        GgufBuilder g;  // model key of the wrong type
        g.u32("tokenizer.ggml.model", 1);
        add_small_vocab(g, d);
        CHECK(status_of([&] { Vocab::from_gguf(*g.build()); }) == LH_ERROR_BAD_FORMAT);
    }
}

TEST_CASE("tokenizer: long texts tokenize in near-linear time", "[tokenizer][perf]") {
    const Vocab &l = shared_vocab("llama-2-tiny-random");
    std::string unit;
    for (const auto &c : reference()["models"]["llama-2-tiny-random"]["cases"].array) unit += c["text"].str() + " ";
    std::string text;
    while (text.size() < 400000) text += unit;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<int32_t> ids = l.tokenize(text, true, false);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("tokens " << ids.size() << " in " << secs << " s");
    CHECK(ids.size() > 100000);
    CHECK(secs < 20.0);  // generous: sanitizer builds on a shared machine
    CHECK(detok(l, ids, lh::DETOK_REMOVE_SPECIAL) == " " + text);
}
