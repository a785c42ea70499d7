// Incremental detokenizer for streaming generated text: hands out only bytes that form complete
// UTF-8 characters, holding back the start of a character whose remaining bytes are still to come
// (a character split over several byte-fallback tokens, e.g. an emoji as <0xF0><0x9F><0xA6><0x99>).
//
// Guarantee: for any id sequence, push(id_0) + push(id_1) + ... + flush() equals
// vocab.detokenize(ids, n, DETOK_DEFAULT) byte for byte when the decoder was constructed with
// strip_leading_space = true (or ids[0] does not start with a space), and render_special = false
// (with render_special = true it equals DETOK_RENDER_SPECIAL).
//
// Invalid UTF-8 is passed through raw, never replaced: a byte that cannot start or continue a
// character is released at once; a lead byte whose sequence is broken by a non-continuation byte
// is released with it. flush() returns whatever is held, raw (possibly a truncated character).
#pragma once

#include <cstdint>
#include <string>

namespace lh {

class Vocab;

class StreamDecoder {
public:
    // strip_leading_space: apply detokenize's rule to the first token pushed (remove one leading
    // ' ' of its piece when the vocabulary has add_space_prefix). Pass true when the first token
    // pushed is the first token of the sequence, false when continuing after a prompt (the
    // space then is a real space between prompt and continuation).
    explicit StreamDecoder(bool strip_leading_space = true, bool render_special = false);

    // Appends the token's piece; returns the bytes that are now complete. id must be in range
    // (Vocab::piece throws LH_ERROR_INVALID_ARGUMENT otherwise).
    std::string push(const Vocab &vocab, int32_t id);
    // Returns the held-back bytes (raw; possibly an incomplete character) and clears them. The
    // sequence continues: the first-token rule does not apply again (use reset for that).
    std::string flush();
    // Drops any held bytes and starts a new sequence.
    void reset(bool strip_leading_space);

    size_t pending_bytes() const { return held_.size(); }

    // Length of the longest prefix of `s` that does not end inside an incomplete (but so far
    // plausible) UTF-8 character.
    static size_t complete_prefix(const std::string &s);

private:
    bool strip_leading_space_;
    bool render_special_;
    bool first_ = true;
    std::string held_;
};

}  // namespace lh
