// Arbitrary bytes to tokenize with the stories260K vocabulary (and Llama-2's 32000-token one
// when the shared models are present). First byte: bit 0 add_bos, bit 1 parse_special, bit 2
// which vocabulary. Invariants: ids in range; streaming detokenization equals detokenize; with
// neither BOS nor special parsing, detokenize(tokenize(text)) gives the text back.
#include <memory>

#include "fuzz_common.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

namespace {

std::vector<std::unique_ptr<lh::Vocab>> g_vocabs;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    for (const std::string &path : {lh_fuzz::repo_model_path(), lh_fuzz::shared_llama2_path()}) {
        if (path.empty()) continue;
        auto file = lh::GgufFile::open(path);
        g_vocabs.emplace_back(new lh::Vocab(lh::Vocab::from_gguf(*file)));
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t flags = data[0];
    const lh::Vocab &vocab = *g_vocabs[(flags >> 2 & 1) % g_vocabs.size()];
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
    // U+2581 in the input is SentencePiece's own space mark and comes back as ' ' (as in
    // llama.cpp and sentencepiece); any other text must round-trip.
    if (!add_bos && !special && text.find("\xE2\x96\x81") == std::string_view::npos)
        lh_fuzz::invariant(back == text, "detokenize(tokenize(text)) == text");
    return 0;
}
