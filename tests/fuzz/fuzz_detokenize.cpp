// Arbitrary id sequences to detokenize. First byte: bits 0-1 flags, bit 2 vocabulary; the rest
// are little-endian int32 ids. Out-of-range ids are refused the way the C API refuses them
// (checked first; Vocab's own safety net must also refuse them with lh::Error); in-range ids
// (the raw values reduced modulo the vocabulary) go through detokenize, piece, is_eog and the
// stream decoder.
#include <memory>

#include "fuzz_common.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    lh_fuzz::load_vocabs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t flags = data[0];
    const lh::Vocab &vocab = lh_fuzz::vocab_for(flags);
    const int detok_flags = flags & 3;
    std::vector<int32_t> raw((size - 1) / 4);
    if (!raw.empty()) std::memcpy(raw.data(), data + 1, raw.size() * 4);

    bool in_range = true;
    for (int32_t id : raw) in_range = in_range && id >= 0 && id < vocab.size();
    try {
        (void)vocab.detokenize(raw.data(), raw.size(), detok_flags);
        lh_fuzz::invariant(in_range, "detokenize accepted an out-of-range id");
    } catch (const lh::Error &e) {
        lh_fuzz::invariant(!in_range && e.status() == LH_ERROR_INVALID_ARGUMENT, "detokenize refused valid ids");
    }

    std::vector<int32_t> ids(raw.size());
    const uint32_t n = static_cast<uint32_t>(vocab.size());
    for (size_t i = 0; i < raw.size(); ++i) ids[i] = static_cast<int32_t>(static_cast<uint32_t>(raw[i]) % n);
    for (int f = 0; f < 4; ++f) (void)vocab.detokenize(ids.data(), ids.size(), f);
    lh::StreamDecoder dec(true, detok_flags & 1);
    std::string streamed;
    for (int32_t id : ids) {
        streamed += dec.push(vocab, id);
        (void)vocab.piece(id, false);
        (void)vocab.is_eog(id);
    }
    streamed += dec.flush();
    const int want = (detok_flags & 1) ? lh::DETOK_RENDER_SPECIAL : lh::DETOK_DEFAULT;
    lh_fuzz::invariant(streamed == vocab.detokenize(ids.data(), ids.size(), want), "stream decoder equals detokenize");
    return 0;
}
