// Code points as llama.cpp's tokenizers see them: UTF-8 decoding with its rules for invalid input,
// and the Unicode general-category class and White_Space property of each code point (Unicode
// 15.1, the version of the llama.cpp the tokenizers are checked against).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lh::unicode {

// General-category classes (the first letter of the category; Cn is UNDEFINED).
enum CharClass : uint8_t {
    UNDEFINED = 0,
    LETTER = 1,     // \p{L}
    MARK = 2,       // \p{M}
    NUMBER = 3,     // \p{N}
    PUNCT = 4,      // \p{P}
    SYMBOL = 5,     // \p{S}
    SEPARATOR = 6,  // \p{Z}
    CONTROL = 7,    // Cc, Cf, Co, Cs
};

constexpr uint32_t kReplacement = 0xFFFD;

// Bytes of the UTF-8 sequence a lead byte announces, counted as llama.cpp's merges count them: by
// the high nibble only (continuation bytes and invalid leads 1, F8..FF 4).
inline size_t utf8_lead_length(unsigned char lead) {
    static const uint8_t kLength[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLength[lead >> 4];
}

// Class of a code point; UNDEFINED above U+10FFFF.
CharClass char_class(uint32_t cp);
// Unicode White_Space (the 25 code points of PropList.txt).
bool is_white_space(uint32_t cp);

// Decodes the code point at text[pos] and advances pos. Like llama.cpp: a lead byte claims its
// sequence length from its high bits and needs that many continuation bytes (no overlong or
// surrogate checks); otherwise one byte is consumed and U+FFFD returned. Decoded values above
// U+10FFFF (lead bytes F5..F7) also become U+FFFD (llama.cpp throws there).
uint32_t decode(std::string_view text, size_t &pos);
std::vector<uint32_t> decode_all(std::string_view text);
void append_utf8(uint32_t cp, std::string &out);

// Generated tables (unicode_table.cpp).
namespace table {
struct Range {
    uint32_t start;
    uint8_t cls;
};
extern const uint32_t kRangeCount;
extern const Range kRanges[];
extern const uint32_t kWhiteSpaceCount;
extern const uint32_t kWhiteSpace[];
}  // namespace table

}  // namespace lh::unicode
