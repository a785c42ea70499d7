#include "tokenizer/special_tokens.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"

namespace lh {

namespace {

thread_local uint64_t t_steps = 0;
constexpr size_t kPollEvery = 1 << 14;  // bytes scanned between two looks at the cancel flag

void poll(const std::atomic<bool> *cancel) {
    if (cancel && cancel->load(std::memory_order_relaxed)) fail(LH_ERROR_CANCELLED, "tokenization was cancelled");
}

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

uint64_t SpecialTokenMatcher::steps_in_thread() { return t_steps; }

SpecialTokenMatcher::SpecialTokenMatcher(const std::vector<std::string> &texts, std::vector<Entry> entries) {
    std::vector<uint32_t> order(texts.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return texts[a] < texts[b]; });
    texts_.reserve(texts.size());
    entries_.reserve(texts.size());
    for (uint32_t i : order) {
        texts_.push_back(texts[i]);
        entries_.push_back(entries[i]);
    }
    std::vector<uint32_t> by_priority(texts_.size());
    std::iota(by_priority.begin(), by_priority.end(), 0u);
    std::sort(by_priority.begin(), by_priority.end(), [&](uint32_t a, uint32_t b) {
        if (texts_[a].size() != texts_[b].size()) return texts_[a].size() > texts_[b].size();
        return entries_[a].id < entries_[b].id;
    });
    priority_.resize(texts_.size());
    for (uint32_t r = 0; r < by_priority.size(); ++r) priority_[by_priority[r]] = r;
    // Sorted texts group by first byte; first_begin_[b] is where byte b's group starts.
    size_t i = 0;
    for (int b = 0; b < 256; ++b) {
        first_begin_[b] = static_cast<uint32_t>(i);
        while (i < texts_.size() && static_cast<unsigned char>(texts_[i][0]) == b) ++i;
    }
    first_begin_[256] = static_cast<uint32_t>(i);
}

void SpecialTokenMatcher::find_all(std::string_view text, bool parse_special, const std::atomic<bool> *cancel,
                                   std::vector<Match> &out) const {
    for (size_t pos = 0; pos < text.size(); ++pos) {
        if (pos % kPollEvery == 0) poll(cancel);
        const unsigned char b = static_cast<unsigned char>(text[pos]);
        uint32_t lo = first_begin_[b], hi = first_begin_[b + 1];
        // Walk down the sorted texts: [lo, hi) share the prefix text[pos, pos + depth).
        for (size_t depth = 1; lo < hi; ++depth) {
            ++t_steps;
            if (texts_[lo].size() == depth) {  // the shortest text of the range ends here: a match
                const Entry &e = entries_[lo];
                if (parse_special || e.always) out.push_back(Match{pos, static_cast<uint32_t>(depth), lo});
                ++lo;
            }
            if (lo >= hi || pos + depth >= text.size()) break;
            const char c = text[pos + depth];
            auto char_at = [depth](const std::string &s) { return s[depth]; };
            // Every text in [lo, hi) is longer than depth here.
            const auto first = texts_.begin() + lo, last = texts_.begin() + hi;
            auto new_lo = std::lower_bound(first, last, c, [&](const std::string &s, char v) {
                return static_cast<unsigned char>(char_at(s)) < static_cast<unsigned char>(v);
            });
            auto new_hi = std::upper_bound(new_lo, last, c, [&](char v, const std::string &s) {
                return static_cast<unsigned char>(v) < static_cast<unsigned char>(char_at(s));
            });
            lo = static_cast<uint32_t>(new_lo - texts_.begin());
            hi = static_cast<uint32_t>(new_hi - texts_.begin());
        }
    }
}

std::vector<TextPiece> SpecialTokenMatcher::split(std::string_view text, bool parse_special,
                                                  const std::atomic<bool> *cancel) const {
    std::vector<TextPiece> pieces;
    std::vector<Match> matches;
    if (!texts_.empty()) find_all(text, parse_special, cancel, matches);
    if (matches.empty()) {
        if (!text.empty()) pieces.push_back(TextPiece{-1, 0, text.size()});
        return pieces;
    }
    std::sort(matches.begin(), matches.end(), [&](const Match &a, const Match &b) {
        if (a.entry != b.entry) return priority_[a.entry] < priority_[b.entry];
        return a.pos < b.pos;
    });
    // owner[i]: 0 free text, 1 swallowed whitespace, 2 + k the k-th accepted match.
    std::vector<uint32_t> owner(text.size(), 0);
    std::vector<const Match *> accepted;
    for (const Match &m : matches) {
        bool free = true;
        for (size_t i = m.pos; free && i < m.pos + m.len; ++i) free = owner[i] == 0;
        if (!free) continue;
        for (size_t i = m.pos; i < m.pos + m.len; ++i) owner[i] = static_cast<uint32_t>(2 + accepted.size());
        accepted.push_back(&m);
        const Entry &e = entries_[m.entry];
        if (e.lstrip)
            for (size_t i = m.pos; i > 0 && owner[i - 1] == 0 && is_ascii_space(text[i - 1]); --i) owner[i - 1] = 1;
        if (e.rstrip)
            for (size_t i = m.pos + m.len; i < text.size() && owner[i] == 0 && is_ascii_space(text[i]); ++i) owner[i] = 1;
    }
    for (size_t i = 0; i < text.size();) {
        if (owner[i] == 1) {
            ++i;
        } else if (owner[i] == 0) {
            size_t j = i;
            while (j < text.size() && owner[j] == 0) ++j;
            pieces.push_back(TextPiece{-1, i, j - i});
            i = j;
        } else {
            const Match &m = *accepted[owner[i] - 2];
            pieces.push_back(TextPiece{entries_[m.entry].id, m.pos, m.len});
            i += m.len;
        }
    }
    return pieces;
}

}  // namespace lh
