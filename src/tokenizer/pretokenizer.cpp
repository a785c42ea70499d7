#include "tokenizer/pretokenizer.h"

#include <algorithm>
#include <iterator>

#include "common/error.h"
#include "tokenizer/unicode.h"

namespace lh {

namespace {

using unicode::char_class;
using unicode::is_white_space;

bool is_letter(uint32_t cp) { return char_class(cp) == unicode::LETTER; }
bool is_mark(uint32_t cp) { return char_class(cp) == unicode::MARK; }
bool is_number(uint32_t cp) { return char_class(cp) == unicode::NUMBER; }
bool is_newline(uint32_t cp) { return cp == '\r' || cp == '\n'; }
// [^\s\p{L}\p{N}]
bool is_other(uint32_t cp) {
    const auto c = char_class(cp);
    return c != unicode::LETTER && c != unicode::NUMBER && !is_white_space(cp);
}
uint32_t ascii_lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

// Length of the contraction ('s 't 'm 'd 're 've 'll) at p, or 0. The GPT-2 expression is case
// sensitive; the Llama-3 family's is not (llama.cpp lowercases ASCII only, which is all that
// can match).
size_t contraction(const std::vector<uint32_t> &c, size_t p, bool any_case) {
    const size_t n = c.size();
    if (c[p] != '\'' || p + 1 >= n) return 0;
    auto low = [&](size_t i) { return any_case ? ascii_lower(c[i]) : c[i]; };
    const uint32_t a = low(p + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (p + 2 >= n) return 0;
    const uint32_t b = low(p + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

// Whitespace at p: \s*[\r\n]+ when the run holds a newline, else \s+(?!\S) (all but the last
// character when more follows), else \s+. Returns the length taken (0 if cps[p] is not white).
size_t whitespace(const std::vector<uint32_t> &c, size_t p, bool newline_rule) {
    const size_t n = c.size();
    size_t end = p, last_newline = 0;
    while (end < n && is_white_space(c[end])) {
        if (newline_rule && is_newline(c[end])) last_newline = end + 1;
        ++end;
    }
    if (last_newline > 0) return last_newline - p;
    const size_t run = end - p;
    if (run > 1 && end < n) return run - 1;
    return run;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t gpt2_word(const std::vector<uint32_t> &c, size_t p) {
    const size_t n = c.size();
    if (size_t len = contraction(c, p, false)) return len;
    const size_t q = (c[p] == ' ' && p + 1 < n) ? p + 1 : p;  // after the optional space
    if (!(c[p] == ' ' && p + 1 >= n)) {  // a lone final space is whitespace below
        bool (*same)(uint32_t) = nullptr;
        if (is_letter(c[q]))
            same = is_letter;
        else if (is_number(c[q]))
            same = is_number;
        else if (is_other(c[q]))
            same = is_other;
        if (same) {
            size_t end = q;
            while (end < n && same(c[end])) ++end;
            return end - p;
        }
    }
    if (size_t len = whitespace(c, p, false)) return len;
    return 1;
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+   (Qwen2: \p{N} instead of \p{N}{1,3}; Qwen3.5 (marks): [\p{L}\p{M}]+ for
// \p{L}+ and [^\s\p{L}\p{M}\p{N}] for [^\s\p{L}\p{N}], combining marks joining the letters)
size_t llama3_word(const std::vector<uint32_t> &c, size_t p, size_t max_digits, bool marks = false) {
    const size_t n = c.size();
    if (size_t len = contraction(c, p, true)) return len;
    const uint32_t cp = c[p];
    auto letter = [marks](uint32_t x) { return is_letter(x) || (marks && is_mark(x)); };
    auto other = [marks](uint32_t x) { return is_other(x) && !(marks && is_mark(x)); };
    if (!is_newline(cp) && !is_number(cp) && (letter(cp) || (p + 1 < n && letter(c[p + 1])))) {
        size_t end = p + 1;
        while (end < n && letter(c[end])) ++end;
        return end - p;
    }
    if (is_number(cp)) {
        size_t end = p + 1;
        while (end < n && end - p < max_digits && is_number(c[end])) ++end;
        return end - p;
    }
    const size_t q = cp == ' ' ? p + 1 : p;
    if (q < n && other(c[q])) {
        size_t end = q + 1;
        while (end < n && other(c[end])) ++end;
        while (end < n && is_newline(c[end])) ++end;
        return end - p;
    }
    if (size_t len = whitespace(c, p, true)) return len;
    return 1;
}

// ---- tekken and gpt-4o. llama.cpp runs their expressions through std::regex over the text with
// every non-ASCII code point collapsed into one byte per class, and spells \p{Lu}... as
// (?=\p{L})[^a-z] ("a letter but not a-z") and \p{Ll}... as (?=\p{L})[^A-Z]. So A-Z is upper case,
// a-z lower case, and every non-ASCII letter counts as both; that is what is matched here.
bool upper_like(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') || (cp > 0x7F && is_letter(cp)); }
bool lower_like(uint32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp > 0x7F && is_letter(cp)); }

// [^\r\n\p{L}\p{N}]?UPPER*LOWER+ | [^\r\n\p{L}\p{N}]?UPPER+LOWER*, then (gpt-4o) an optional
// contraction; 0 if neither matches at p. The first alternative's backtracking is spelled out:
// when no a-z follows the run of upper-case letters, the run gives back letters until its last
// one that also counts as lower case (a non-ASCII letter) ends the word.
size_t cased_word(const std::vector<uint32_t> &c, size_t p, bool contractions) {
    const size_t n = c.size();
    size_t q = p;
    if (!is_letter(c[p])) {
        if (is_newline(c[p]) || is_number(c[p]) || p + 1 >= n || !is_letter(c[p + 1])) return 0;
        q = p + 1;
    }
    size_t upper_end = q;
    while (upper_end < n && upper_like(c[upper_end])) ++upper_end;
    size_t end = upper_end;
    if (upper_end < n && c[upper_end] >= 'a' && c[upper_end] <= 'z') {
        while (end < n && lower_like(c[end])) ++end;
    } else {
        size_t j = upper_end;
        while (j > q && !lower_like(c[j - 1])) --j;
        if (j > q) end = j;  // else the upper-case run alone (second alternative)
    }
    if (contractions && end < n) end += contraction(c, end, true);
    return end - p;
}

// cased words | \p{N} (tekken) or \p{N}{1,3} (gpt-4o) | ?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ |
// \s+(?!\S) | \s+
size_t cased_expression_word(const std::vector<uint32_t> &c, size_t p, bool contractions, size_t max_digits) {
    const size_t n = c.size();
    if (size_t len = cased_word(c, p, contractions)) return len;
    if (is_number(c[p])) {
        size_t end = p + 1;
        while (end < n && end - p < max_digits && is_number(c[end])) ++end;
        return end - p;
    }
    const size_t q = c[p] == ' ' ? p + 1 : p;
    if (q < n && is_other(c[q])) {
        size_t end = q + 1;
        while (end < n && is_other(c[end])) ++end;
        while (end < n && (is_newline(c[end]) || c[end] == '/')) ++end;
        return end - p;
    }
    if (size_t len = whitespace(c, p, true)) return len;
    return 1;
}

// ---- deepseek-llm: each expression cuts every piece the previous ones left into matches and the
// text between them (llama.cpp runs them through std::regex; \s there sees every non-ASCII
// White_Space character as a vertical tab, so those never match the explicit classes).
struct CpRange {
    uint32_t first, last;
};

// Cased letters of DeepSeek's second expression.
const CpRange kDeepseekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},       {0xD8, 0xF6},
    {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},     {0x295, 0x2AF},     {0x370, 0x373},
    {0x376, 0x377},     {0x37B, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// Punctuation of the third expression (ASCII, full-width forms, quotes, U+3000..U+3002).
const CpRange kDeepseekPunct[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0x2018, 0x201F},
                                  {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}};
// CJK ideographs, U+0800..U+4E00 and Hangul of the fifth expression.
const CpRange kDeepseekCjk[] = {{0x800, 0x4E00}, {0x4E00, 0x9FA5}, {0xAC00, 0xD7FF}};

template <size_t N>
bool in_ranges(const CpRange (&ranges)[N], uint32_t cp) {
    if (cp > 0x7F && is_white_space(cp)) return false;  // seen as U+000B by std::regex
    for (const CpRange &r : ranges)
        if (cp >= r.first && cp <= r.last) return true;
    return false;
}

// Cuts [begin, end) of the pieces by a matcher: match(c, p, end) is the length of a match
// starting at p (0: none). Leftmost matches, the text between them kept as pieces.
template <typename Match>
void cut_pieces(const std::vector<uint32_t> &c, const std::vector<uint32_t> &in, std::vector<uint32_t> &out,
                Match match) {
    out.clear();
    size_t start = 0;
    for (uint32_t len : in) {
        const size_t end = start + len;
        size_t from = start;
        for (size_t p = start; p < end;) {
            const size_t m = match(c, p, end);
            if (m == 0) {
                ++p;
                continue;
            }
            if (p > from) out.push_back(static_cast<uint32_t>(p - from));
            out.push_back(static_cast<uint32_t>(m));
            p += m;
            from = p;
        }
        if (end > from) out.push_back(static_cast<uint32_t>(end - from));
        start = end;
    }
}

// \s?[class]+
template <size_t N>
size_t space_then_run(const CpRange (&cls)[N], const std::vector<uint32_t> &c, size_t p, size_t end) {
    size_t q = p;
    if (is_white_space(c[q]) && q + 1 < end && in_ranges(cls, c[q + 1])) ++q;
    if (!in_ranges(cls, c[q])) return 0;
    while (q < end && in_ranges(cls, c[q])) ++q;
    return q - p;
}

void deepseek_llm(const std::vector<uint32_t> &c, std::vector<uint32_t> &lengths) {
    std::vector<uint32_t> a{static_cast<uint32_t>(c.size())}, b;
    // [\r\n]
    cut_pieces(c, a, b, [](const std::vector<uint32_t> &s, size_t p, size_t) -> size_t { return is_newline(s[p]); });
    // \s?[cased letters]+
    cut_pieces(c, b, a, [](const std::vector<uint32_t> &s, size_t p, size_t end) {
        return space_then_run(kDeepseekLetters, s, p, end);
    });
    // \s?[punctuation]+
    cut_pieces(c, a, b, [](const std::vector<uint32_t> &s, size_t p, size_t end) {
        return space_then_run(kDeepseekPunct, s, p, end);
    });
    // \s+$ : the white run that ends a piece, split off
    a.clear();
    size_t start = 0;
    for (uint32_t len : b) {
        size_t tail = start + len;
        while (tail > start && is_white_space(c[tail - 1])) --tail;
        if (tail > start) a.push_back(static_cast<uint32_t>(tail - start));
        if (tail < start + len) a.push_back(static_cast<uint32_t>(start + len - tail));
        start += len;
    }
    // [CJK]+
    cut_pieces(c, a, b, [](const std::vector<uint32_t> &s, size_t p, size_t end) -> size_t {
        size_t q = p;
        while (q < end && in_ranges(kDeepseekCjk, s[q])) ++q;
        return q - p;
    });
    // \p{N}+ (ASCII digits, or a non-ASCII, non-white number)
    cut_pieces(c, b, a, [](const std::vector<uint32_t> &s, size_t p, size_t end) -> size_t {
        auto number = [](uint32_t cp) {
            return cp < 0x80 ? (cp >= '0' && cp <= '9') : (!is_white_space(cp) && is_number(cp));
        };
        size_t q = p;
        while (q < end && number(s[q])) ++q;
        return q - p;
    });
    lengths.insert(lengths.end(), a.begin(), a.end());
}

// smollm and its kin: \p{N} cuts every digit out as its own piece, then the GPT-2 expression runs
// within each piece that is left (each piece's end is an end of text for it).
void smollm(const std::vector<uint32_t> &c, std::vector<uint32_t> &lengths) {
    std::vector<uint32_t> pieces{static_cast<uint32_t>(c.size())}, digits;
    cut_pieces(c, pieces, digits, [](const std::vector<uint32_t> &s, size_t p, size_t) -> size_t { return is_number(s[p]); });
    std::vector<uint32_t> piece;
    size_t start = 0;
    for (uint32_t len : digits) {
        piece.assign(c.begin() + static_cast<std::ptrdiff_t>(start), c.begin() + static_cast<std::ptrdiff_t>(start + len));
        for (size_t p = 0; p < piece.size();) {
            const size_t word = gpt2_word(piece, p);
            lengths.push_back(static_cast<uint32_t>(word));
            p += word;
        }
        start += len;
    }
}

}  // namespace

const BpeFlavour &bpe_flavour(const std::string &pre_name) {
    using P = PreTokenizer;
    static const BpeFlavour kFlavours[] = {
        {"gpt-2", P::GPT2, false, false, true},          {"phi-2", P::GPT2, false, false, true},
        {"mpt", P::GPT2, false, false, true},            {"olmo", P::GPT2, false, false, true},
        {"jais", P::GPT2, false, false, true},           {"llama3", P::LLAMA3, true, true, true},
        {"llama-v3", P::LLAMA3, true, true, true},       {"llama-bpe", P::LLAMA3, true, true, true},
        {"falcon3", P::LLAMA3, true, true, true},        {"smaug-bpe", P::LLAMA3, false, false, true},
        {"dbrx", P::LLAMA3, false, false, true},         {"qwen2", P::QWEN2, false, false, false},
        {"deepseek-r1-qwen", P::QWEN2, false, false, false}, {"stablelm2", P::QWEN2, false, false, true},
        {"deepseek-llm", P::DEEPSEEK_LLM, false, false, false}, {"pixtral", P::LLAMA3, true, true, true},
        {"smollm", P::SMOLLM, false, false, false},      {"starcoder", P::SMOLLM, false, false, true},
        {"refact", P::SMOLLM, false, false, true},       {"command-r", P::SMOLLM, false, false, false},
        {"codeshell", P::SMOLLM, false, false, true},    {"exaone", P::SMOLLM, false, false, true},
        {"minerva-7b", P::SMOLLM, false, false, true},   {"tekken", P::TEKKEN, true, true, false},
        {"gpt-4o", P::GPT4O, false, false, false},       {"llama4", P::GPT4O, false, false, false},
        // Later names llama.cpp maps onto the same expressions and flags.
        {"falcon-h1", P::LLAMA3, true, true, true},      {"midm-2.0", P::LLAMA3, true, true, true},
        {"lfm2", P::LLAMA3, true, true, true},           {"kormo", P::QWEN2, false, false, false},
        {"f2llmv2", P::QWEN2, false, false, false},      {"hunyuan", P::QWEN2, false, false, false},
        {"solar-open", P::QWEN2, false, false, false},   {"grok-2", P::QWEN2, false, false, false},
        {"exaone4", P::GPT2, false, false, true},        {"kanana2", P::GPT4O, false, false, false},
        {"talkie", P::GPT4O, false, false, false},       {"qwen35", P::QWEN35, false, false, false},
    };
    std::string known;
    for (const BpeFlavour &f : kFlavours) {
        if (pre_name == f.name) return f;
        known += known.empty() ? "" : ", ";
        known += f.name;
    }
    fail(LH_ERROR_UNSUPPORTED,
         "unsupported BPE pre-tokenizer '" + pre_name + "' (tokenizer.ggml.pre; supported: " + known + ")");
}

void pretokenize(PreTokenizer kind, const std::vector<uint32_t> &cps, std::vector<uint32_t> &lengths) {
    if (cps.empty()) return;
    if (kind == PreTokenizer::DEEPSEEK_LLM) {
        deepseek_llm(cps, lengths);
        return;
    }
    if (kind == PreTokenizer::SMOLLM) {
        smollm(cps, lengths);
        return;
    }
    for (size_t p = 0; p < cps.size();) {
        size_t len = 0;
        switch (kind) {
            case PreTokenizer::GPT2: len = gpt2_word(cps, p); break;
            case PreTokenizer::LLAMA3: len = llama3_word(cps, p, 3); break;
            case PreTokenizer::TEKKEN: len = cased_expression_word(cps, p, false, 1); break;
            case PreTokenizer::GPT4O: len = cased_expression_word(cps, p, true, 3); break;
            case PreTokenizer::QWEN35: len = llama3_word(cps, p, 1, true); break;
            default: len = llama3_word(cps, p, 1); break;
        }
        lengths.push_back(static_cast<uint32_t>(len));
        p += len;
    }
}

}  // namespace lh
