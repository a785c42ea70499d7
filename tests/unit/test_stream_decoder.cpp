// StreamDecoder: incremental detokenization that holds back incomplete UTF-8 characters and
// reproduces Vocab::detokenize (DETOK_DEFAULT) exactly when its pushes are concatenated.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

#ifndef LH_SHARED_DIR
#define LH_SHARED_DIR "../shared"
#endif

using lh::StreamDecoder;
using lh::Vocab;

namespace {

const Vocab &shared_vocab(const std::string &name) {
    static std::map<std::string, std::unique_ptr<Vocab>> cache;
    auto it = cache.find(name);
    if (it == cache.end()) {
        auto file = lh::GgufFile::open(std::string(LH_SHARED_DIR) + "/models/" + name + ".gguf");
        it = cache.emplace(name, std::make_unique<Vocab>(Vocab::from_gguf(*file))).first;
    }
    return *it->second;
}

std::string detok(const Vocab &v, const std::vector<int32_t> &ids, int flags) {
    return v.detokenize(ids.data(), ids.size(), flags);
}

bool valid_utf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + need >= s.size()) return false;
        for (size_t k = 1; k <= need; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp < 0xE000))
            return false;
        i += need + 1;
    }
    return true;
}

std::string stream_all(const Vocab &v, const std::vector<int32_t> &ids, bool strip,
                       std::vector<std::string> *chunks = nullptr) {
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

const char *const kModels[] = {"stories260K", "llama-2-tiny-random"};

}  // namespace

TEST_CASE("stream decoder: pushes concatenate to detokenize on random sequences", "[tokenizer][stream]") {
    std::mt19937 rng(1234);
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        std::uniform_int_distribution<int32_t> any(0, v.size() - 1);
        std::uniform_int_distribution<int32_t> byte(3, 258);
        std::uniform_int_distribution<int32_t> len(0, 40);
        for (int iter = 0; iter < 400; ++iter) {
            std::vector<int32_t> ids(static_cast<size_t>(len(rng)));
            for (auto &id : ids) id = (rng() % 3 == 0) ? byte(rng) : any(rng);
            if (iter % 5 == 0 && !ids.empty()) ids[0] = v.bos();
            INFO(name << " iteration " << iter);
            CHECK(stream_all(v, ids, true) == detok(v, ids, lh::DETOK_DEFAULT));
            // Without the strip the first space survives, as after a BOS.
            std::vector<int32_t> with_bos = ids;
            with_bos.insert(with_bos.begin(), v.bos());
            CHECK(stream_all(v, ids, false) == detok(v, with_bos, lh::DETOK_DEFAULT));
        }
        // Sequences from real text (valid UTF-8): every chunk is itself valid UTF-8.
        for (const std::string text : {"emoji 🦙🦙 ok", "日本語 text", "naïve café", "👍🏽👍🏽👍🏽"}) {
            std::vector<int32_t> ids = v.tokenize(text, false, false);
            std::vector<std::string> chunks;
            CHECK(stream_all(v, ids, true, &chunks) == text);
            for (const auto &c : chunks) CHECK(valid_utf8(c));
        }
    }
}

TEST_CASE("stream decoder: holds back incomplete characters", "[tokenizer][stream]") {
    const Vocab &s = shared_vocab("stories260K");
    auto b = [](int byte) { return byte + 3; };  // byte token ids in the shared vocabularies
    StreamDecoder dec(true);
    CHECK(dec.push(s, b(0xF0)).empty());
    CHECK(dec.push(s, b(0x9F)).empty());
    CHECK(dec.push(s, b(0xA6)).empty());
    CHECK(dec.pending_bytes() == 3);
    CHECK(dec.push(s, b(0x99)) == "\xF0\x9F\xA6\x99");
    CHECK(dec.pending_bytes() == 0);
    // A broken sequence is released raw as soon as it cannot complete.
    CHECK(dec.push(s, b(0xE6)).empty());
    CHECK(dec.push(s, b('a')) == "\xE6" "a");
    // Stray continuation and invalid bytes pass through at once.
    CHECK(dec.push(s, b(0x80)) == "\x80");
    CHECK(dec.push(s, b(0xFF)) == "\xFF");
    // flush returns what is held, raw.
    CHECK(dec.push(s, b(0xC3)).empty());
    CHECK(dec.flush() == "\xC3");
    CHECK(dec.flush().empty());
    // Control tokens render as nothing, or as text with render_special.
    StreamDecoder r(true, true);
    CHECK(r.push(s, 1) == "<s>");
    // reset: the first-token rule applies again.
    StreamDecoder d2(true);
    int32_t hello = s.tokenize("Hello", false, false)[0];
    std::string first = d2.push(s, hello);
    CHECK(first[0] != ' ');
    CHECK(d2.push(s, hello)[0] == ' ');
    d2.reset(true);
    CHECK(d2.push(s, hello) == first);
    CHECK(StreamDecoder::complete_prefix("ab\xE2\x96") == 2);
    CHECK(StreamDecoder::complete_prefix("ab\xE2\x96\x81") == 5);
    CHECK(StreamDecoder::complete_prefix("\x80\x80\x80\x80") == 4);
    CHECK(StreamDecoder::complete_prefix("") == 0);
}

TEST_CASE("stream decoder: a long multilingual text streamed token by token", "[tokenizer][stream]") {
    std::string text;
    for (int i = 0; i < 50; ++i)
        text += "Once upon a time 日本語のテキスト 🦙 naïve café — “quotes” ¿qué? Ελληνικά 한국어 ";
    for (const char *name : kModels) {
        const Vocab &v = shared_vocab(name);
        INFO(name);
        std::vector<int32_t> ids = v.tokenize(text, true, false);
        std::vector<std::string> chunks;
        // After a BOS the detokenized text keeps the prefix space; the decoder does too.
        CHECK(stream_all(v, ids, true, &chunks) == " " + text);
        CHECK(detok(v, ids, lh::DETOK_DEFAULT) == " " + text);
        size_t held_max = 0;
        for (const auto &c : chunks) CHECK(valid_utf8(c));
        StreamDecoder dec(true);
        for (int32_t id : ids) {
            dec.push(v, id);
            held_max = std::max(held_max, dec.pending_bytes());
        }
        CHECK(held_max <= 3);
        CHECK(dec.flush().empty());
    }
}

TEST_CASE("stream decoder: out-of-range ids are refused", "[tokenizer][stream]") {
    const Vocab &s = shared_vocab("stories260K");
    StreamDecoder dec(true);
    try {
        dec.push(s, 512);
        FAIL("no exception");
    } catch (const lh::Error &e) {
        CHECK(e.status() == LH_ERROR_INVALID_ARGUMENT);
    }
    try {
        dec.push(s, -1);
        FAIL("no exception");
    } catch (const lh::Error &e) {
        CHECK(e.status() == LH_ERROR_INVALID_ARGUMENT);
    }
    // The refused pushes did not use up the first-token rule.
    CHECK(dec.push(s, s.tokenize("Hello", false, false)[0]) == "He");
}
