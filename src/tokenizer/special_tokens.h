// Cutting a text at special tokens (CONTROL, UNKNOWN, USER_DEFINED) in one pass, with the result
// of llama.cpp's tokenizer_st_partition: that cuts every fragment at the occurrences of one special
// token after another, longest token first, leftmost occurrences first. Here every occurrence of
// every special token is found in one scan (a sorted-array trie, so the cost does not grow with
// the number of special tokens), and occurrences are then accepted in llama.cpp's order (longer
// token first, lower id among equal lengths, leftmost first) unless they overlap an accepted one.
// Tokens with the lstrip/rstrip attribute (Phi-3's) swallow the ASCII whitespace next to them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lh {

struct TextPiece {
    int32_t token;  // -1: raw text [offset, offset + length)
    size_t offset;
    size_t length;
};

class SpecialTokenMatcher {
public:
    struct Entry {
        int32_t id;
        bool always;  // USER_DEFINED: matched even without parse_special
        bool lstrip, rstrip;
    };
    SpecialTokenMatcher() = default;
    // texts[i] is the text of entries[i]; texts must be non-empty and distinct.
    SpecialTokenMatcher(const std::vector<std::string> &texts, std::vector<Entry> entries);

    // Text pieces and special tokens of `text` in order. Polls `cancel` (may be null) as it scans
    // and throws lh::Error(LH_ERROR_CANCELLED) once it is set.
    std::vector<TextPiece> split(std::string_view text, bool parse_special, const std::atomic<bool> *cancel) const;

    size_t size() const { return entries_.size(); }
    // Trie steps taken by split() so far in this thread (tests bound the work with it).
    static uint64_t steps_in_thread();

private:
    struct Match {
        size_t pos;
        uint32_t len;
        uint32_t entry;
    };
    void find_all(std::string_view text, bool parse_special, const std::atomic<bool> *cancel,
                  std::vector<Match> &out) const;

    std::vector<std::string> texts_;  // sorted
    std::vector<Entry> entries_;      // in texts_ order
    std::vector<uint32_t> priority_;  // per entry: llama.cpp's order (longest first, then id)
    uint32_t first_begin_[257] = {};  // entries whose text starts with byte b: [first_begin_[b], first_begin_[b+1])
};

}  // namespace lh
