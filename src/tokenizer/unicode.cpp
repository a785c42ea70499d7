#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>

namespace lh::unicode {

namespace {

// Classes of the Basic Multilingual Plane, expanded once from the ranges (64 KiB) so that the
// common case is one load; planes above it are binary-searched.
struct BmpTable {
    std::array<uint8_t, 0x10000> cls{};
    BmpTable() {
        for (uint32_t i = 0; i < table::kRangeCount; ++i) {
            const uint32_t start = table::kRanges[i].start;
            if (start >= 0x10000) break;
            const uint32_t end = i + 1 < table::kRangeCount ? std::min<uint32_t>(table::kRanges[i + 1].start, 0x10000)
                                                           : 0x10000;
            std::fill(cls.begin() + start, cls.begin() + end, table::kRanges[i].cls);
        }
    }
};

const BmpTable &bmp() {
    static const BmpTable t;
    return t;
}

}  // namespace

CharClass char_class(uint32_t cp) {
    if (cp < 0x10000) return static_cast<CharClass>(bmp().cls[cp]);
    if (cp > 0x10FFFF) return UNDEFINED;
    const table::Range *end = table::kRanges + table::kRangeCount;
    const table::Range *it =
        std::upper_bound(table::kRanges, end, cp, [](uint32_t v, const table::Range &r) { return v < r.start; });
    return static_cast<CharClass>((it - 1)->cls);
}

bool is_white_space(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    const uint32_t *end = table::kWhiteSpace + table::kWhiteSpaceCount;
    return std::binary_search(table::kWhiteSpace, end, cp);
}

uint32_t decode(std::string_view text, size_t &pos) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
    const uint8_t lead = byte(pos);
    if (lead < 0x80) {
        ++pos;
        return lead;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
        len = 2, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4, cp = lead & 0x07;
    }
    // A continuation byte as lead, F8..FF, or a sequence cut short: one replacement character.
    if (len == 0 || pos + len > text.size()) {
        ++pos;
        return kReplacement;
    }
    for (size_t i = 1; i < len; ++i) {
        const uint8_t c = byte(pos + i);
        if ((c & 0xC0) != 0x80) {
            ++pos;
            return kReplacement;
        }
        cp = (cp << 6) | (c & 0x3F);
    }
    pos += len;
    return cp > 0x10FFFF ? kReplacement : cp;
}

std::vector<uint32_t> decode_all(std::string_view text) {
    std::vector<uint32_t> out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) out.push_back(decode(text, pos));
    return out;
}

void append_utf8(uint32_t cp, std::string &out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace lh::unicode
