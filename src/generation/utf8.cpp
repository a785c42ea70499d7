#include "generation/utf8.h"

namespace lh {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

struct Lead {
    int continuation;             // bytes that must follow
    unsigned char lo, hi;         // range of the first of them (excludes overlongs, surrogates, > U+10FFFF)
};

// The lead byte's rule, or continuation = -1 for a byte that never starts a character.
Lead lead_of(unsigned char c) {
    if (c >= 0xC2 && c <= 0xDF) return {1, 0x80, 0xBF};
    if (c == 0xE0) return {2, 0xA0, 0xBF};
    if (c == 0xED) return {2, 0x80, 0x9F};
    if (c >= 0xE1 && c <= 0xEF) return {2, 0x80, 0xBF};
    if (c == 0xF0) return {3, 0x90, 0xBF};
    if (c >= 0xF1 && c <= 0xF3) return {3, 0x80, 0xBF};
    if (c == 0xF4) return {3, 0x80, 0x8F};
    return {-1, 0, 0};
}

}  // namespace

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        const Lead lead = lead_of(c);
        if (lead.continuation < 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        // Extend over the bytes that still fit the character; stop at the first that does not.
        size_t j = i + 1;
        int have = 0;
        while (have < lead.continuation && j < s.size()) {
            const unsigned char b = static_cast<unsigned char>(s[j]);
            const bool fits = have == 0 ? (b >= lead.lo && b <= lead.hi) : (b >= 0x80 && b <= 0xBF);
            if (!fits) break;
            ++j;
            ++have;
        }
        if (have == lead.continuation)
            out.append(s.substr(i, j - i));
        else
            out += kReplacement;  // the maximal subpart s[i, j) is one replacement
        i = j;
    }
    return out;
}

}  // namespace lh
