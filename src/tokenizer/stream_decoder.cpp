#include "tokenizer/stream_decoder.h"

#include "tokenizer/vocab.h"

namespace lh {

StreamDecoder::StreamDecoder(bool strip_leading_space, bool render_special)
    : strip_leading_space_(strip_leading_space), render_special_(render_special) {}

size_t StreamDecoder::complete_prefix(const std::string &s) {
    const size_t n = s.size();
    // Walk back over at most 3 continuation bytes to the last non-continuation byte.
    for (size_t k = 1; k <= 4 && k <= n; ++k) {
        const unsigned char c = static_cast<unsigned char>(s[n - k]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        size_t need = 0;
        if (c >= 0xC2 && c <= 0xDF)
            need = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 4;
        // ASCII, or a byte that can never start a character: nothing to wait for.
        if (need == 0) return n;
        return need > k ? n - k : n;
    }
    return n;  // only continuation bytes at the end: they cannot be completed
}

std::string StreamDecoder::push(const Vocab &vocab, int32_t id) {
    std::string p = vocab.piece(id, render_special_);
    if (first_) {
        first_ = false;
        if (strip_leading_space_ && vocab.add_space_prefix() && !p.empty() && p[0] == ' ') p.erase(0, 1);
    }
    held_ += p;
    const size_t cut = complete_prefix(held_);
    std::string out = held_.substr(0, cut);
    held_.erase(0, cut);
    return out;
}

std::string StreamDecoder::flush() {
    std::string out;
    out.swap(held_);
    return out;
}

void StreamDecoder::reset(bool strip_leading_space) {
    held_.clear();
    first_ = true;
    strip_leading_space_ = strip_leading_space;
}

}  // namespace lh
