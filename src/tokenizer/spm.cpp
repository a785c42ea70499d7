// SentencePiece merges of one fragment (see vocab.h for the rules).
#include <queue>

#include "common/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace lh {

namespace {

struct Symbol {
    int32_t prev;
    int32_t next;
    uint32_t offset;
    uint32_t n;  // bytes; 0 once merged into its left neighbour
};

struct Bigram {
    float score;
    int32_t left;
    int32_t right;
    uint32_t size;
};

// Max-heap order: highest score on top, the leftmost pair first among equal scores.
struct BigramLess {
    bool operator()(const Bigram &a, const Bigram &b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

constexpr size_t kMergesPerPoll = 1 << 14;

void push_bytes(const Vocab &vocab, const char *p, size_t n, std::vector<int32_t> &out) {
    for (size_t i = 0; i < n; ++i) {
        int32_t id = vocab.byte_token(static_cast<uint8_t>(p[i]));
        if (id < 0) id = vocab.unk();
        if (id < 0)
            fail(LH_ERROR_UNSUPPORTED, "the vocabulary has no token for byte " +
                                           std::to_string(static_cast<unsigned char>(p[i])) +
                                           " and no unknown token");
        out.push_back(id);
    }
}

}  // namespace

void spm_tokenize(const Vocab &vocab, const std::string &text, std::vector<int32_t> &out,
                  const std::atomic<bool> *cancel) {
    if (text.empty()) return;
    if (text.size() > UINT32_MAX / 2) fail(LH_ERROR_INVALID_ARGUMENT, "text too long to tokenize");

    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (size_t off = 0; off < text.size();) {
        size_t len = std::min(unicode::utf8_lead_length(static_cast<unsigned char>(text[off])), text.size() - off);
        int32_t index = static_cast<int32_t>(symbols.size());
        symbols.push_back(Symbol{index - 1, off + len == text.size() ? -1 : index + 1, static_cast<uint32_t>(off),
                                 static_cast<uint32_t>(len)});
        off += len;
    }

    std::vector<Bigram> storage;
    storage.reserve(symbols.size());
    std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue(BigramLess(), std::move(storage));
    auto try_add = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        uint32_t size = symbols[left].n + symbols[right].n;
        int32_t id = vocab.find(std::string_view(text.data() + symbols[left].offset, size));
        if (id < 0) return;
        queue.push(Bigram{vocab.score(id), left, right, size});
    };
    for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);

    for (size_t step = 1; !queue.empty(); ++step) {
        if (step % kMergesPerPoll == 0 && cancel && cancel->load(std::memory_order_relaxed))
            fail(LH_ERROR_CANCELLED, "tokenization was cancelled");
        Bigram b = queue.top();
        queue.pop();
        Symbol &l = symbols[b.left];
        Symbol &r = symbols[b.right];
        // Stale: one side was merged away or grew since this pair was queued.
        if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
        l.n += r.n;
        r.n = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[r.next].prev = b.left;
        try_add(l.prev, b.left);
        try_add(b.left, l.next);
    }

    for (int32_t i = 0; i != -1; i = symbols[i].next) {
        const Symbol &s = symbols[i];
        int32_t id = vocab.find(std::string_view(text.data() + s.offset, s.n));
        if (id >= 0)
            out.push_back(id);
        else
            push_bytes(vocab, text.data() + s.offset, s.n, out);  // only unmerged characters get here
    }
}

}  // namespace lh
