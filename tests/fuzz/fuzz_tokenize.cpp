// Arbitrary bytes to tokenize with the stories260K vocabulary (and Llama-2's 32000-token one
// when the shared models are present). First byte: bit 0 add_bos, bit 1 parse_special, bit 2
// which vocabulary. Invariants: ids in range; streaming detokenization equals detokenize; with
// neither BOS nor special parsing, detokenize(tokenize(text)) gives the text back.
#include <memory>

#include "fuzz_common.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

namespace {

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n;
        uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        for (size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            const unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    lh_fuzz::load_vocabs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t flags = data[0];
    const lh::Vocab &vocab = lh_fuzz::vocab_for(flags);
    std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    const bool add_bos = flags & 1, special = flags & 2;
    std::vector<int32_t> ids = vocab.tokenize(text, add_bos, special);
    for (int32_t id : ids) lh_fuzz::invariant(id >= 0 && id < vocab.size(), "tokenize gives ids in range");
    std::string back = vocab.detokenize(ids.data(), ids.size(), lh::DETOK_DEFAULT);
    lh::StreamDecoder dec(true, false);
    std::string streamed;
    for (int32_t id : ids) streamed += dec.push(vocab, id);
    streamed += dec.flush();
    lh_fuzz::invariant(streamed == back, "streamed pieces equal detokenize");
    // Valid UTF-8 must round-trip, except U+2581 (SentencePiece's own space mark, which comes
    // back as ' ', as in llama.cpp and sentencepiece). Invalid UTF-8 need not: as in llama.cpp, a
    // broken lead byte claims the next bytes of the space-escaped text, so a following ' ' can
    // come back as the bytes of U+2581.
    if (!add_bos && !special && valid_utf8(text) && text.find("\xE2\x96\x81") == std::string_view::npos)
        lh_fuzz::invariant(back == text, "detokenize(tokenize(text)) == text");
    return 0;
}
