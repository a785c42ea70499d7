#include "tokenizer/bpe.h"

#include <array>
#include <queue>

#include "common/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace lh {

namespace {

// GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68 bytes (controls,
// space, DEL, NBSP, soft hyphen...) for U+0100.. in byte order.
struct ByteAlphabet {
    std::array<std::string, 256> encode;
    std::array<int16_t, 0x144> decode;  // code point -> byte, or -1
    ByteAlphabet() {
        decode.fill(-1);
        uint32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
            unicode::append_utf8(cp, encode[b]);
            decode[cp] = static_cast<int16_t>(b);
        }
    }
};

const ByteAlphabet &alphabet() {
    static const ByteAlphabet a;
    return a;
}

struct Symbol {
    int32_t prev, next;
    uint32_t offset, n;  // n = 0 once merged into its left neighbour
};

struct Pair {
    int32_t rank, left, right;
    uint32_t size;
};

// Min-heap order: lowest rank on top, leftmost first among equal ranks.
struct PairAfter {
    bool operator()(const Pair &a, const Pair &b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

constexpr size_t kWordsPerPoll = 256;

}  // namespace

BpeModel::BpeModel(std::vector<std::string> merges, PreTokenizer pre, bool ignore_merges)
    : merges_(std::move(merges)), pre_(pre), ignore_merges_(ignore_merges) {
    ranks_.reserve(merges_.size());
    for (size_t i = 0; i < merges_.size(); ++i) {
        const std::string &m = merges_[i];
        if (m.size() < 2 || m.find(' ', 1) == std::string::npos) continue;  // no pair: never matches
        ranks_.emplace(std::string_view(m), static_cast<int32_t>(i));
    }
}

const std::string &BpeModel::encode_byte(uint8_t byte) { return alphabet().encode[byte]; }

std::string BpeModel::decode_text(const std::string &token_text) {
    const ByteAlphabet &a = alphabet();
    std::string out;
    for (size_t pos = 0; pos < token_text.size();) {
        const uint32_t cp = unicode::decode(token_text, pos);
        if (cp < a.decode.size() && a.decode[cp] >= 0) {
            out += static_cast<char>(a.decode[cp]);
            continue;
        }
        static const char *hex = "0123456789abcdef";
        std::string utf8;
        unicode::append_utf8(cp, utf8);
        out += "[UNK_BYTE_0x";
        for (unsigned char c : utf8) {
            out += hex[c >> 4];
            out += hex[c & 15];
        }
        out += token_text + "]";
    }
    return out;
}

// The merge "left right" exists only if left has no space after its first byte (that is where
// llama.cpp splits the merge string), so the joined key is unambiguous.
int32_t BpeModel::rank(std::string_view left, std::string_view right, std::string &key) const {
    if (left.find(' ', 1) != std::string_view::npos) return -1;
    key.assign(left);
    key += ' ';
    key.append(right);
    auto it = ranks_.find(std::string_view(key));
    return it == ranks_.end() ? -1 : it->second;
}

void BpeModel::merge_word(const std::string &word, const Vocab &vocab, std::vector<int32_t> &out) const {
    if (ignore_merges_) {
        const int32_t id = vocab.find(word);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    for (size_t off = 0; off < word.size();) {
        const size_t len = std::min(unicode::utf8_lead_length(static_cast<unsigned char>(word[off])), word.size() - off);
        const int32_t index = static_cast<int32_t>(symbols.size());
        symbols.push_back(Symbol{index - 1, off + len == word.size() ? -1 : index + 1, static_cast<uint32_t>(off),
                                 static_cast<uint32_t>(len)});
        off += len;
    }
    std::string key;
    std::priority_queue<Pair, std::vector<Pair>, PairAfter> queue;
    auto view = [&](const Symbol &s) { return std::string_view(word.data() + s.offset, s.n); };
    auto try_add = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const int32_t r = rank(view(symbols[left]), view(symbols[right]), key);
        if (r >= 0) queue.push(Pair{r, left, right, symbols[left].n + symbols[right].n});
    };
    for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
    while (!queue.empty()) {
        const Pair p = queue.top();
        queue.pop();
        Symbol &l = symbols[p.left];
        Symbol &r = symbols[p.right];
        if (l.n == 0 || r.n == 0 || l.n + r.n != p.size) continue;  // stale
        l.n += r.n;
        r.n = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[r.next].prev = p.left;
        try_add(l.prev, p.left);
        try_add(p.left, l.next);
    }
    for (int32_t i = 0; i != -1 && !symbols.empty(); i = symbols[i].next) {
        const std::string_view s = view(symbols[i]);
        const int32_t id = vocab.find(s);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        // Not a token: each byte on its own if that is a token, else nothing (llama.cpp).
        for (char c : s) {
            const int32_t b = vocab.find(std::string_view(&c, 1));
            if (b >= 0) out.push_back(b);
        }
    }
}

void BpeModel::tokenize(std::string_view text, const Vocab &vocab, std::vector<int32_t> &out,
                        const std::atomic<bool> *cancel) const {
    const std::vector<uint32_t> cps = unicode::decode_all(text);
    std::vector<uint32_t> lengths;
    pretokenize(pre_, cps, lengths);
    const ByteAlphabet &a = alphabet();
    std::string utf8, word;
    size_t start = 0;
    for (size_t w = 0; w < lengths.size(); ++w) {
        if (w % kWordsPerPoll == 0 && cancel && cancel->load(std::memory_order_relaxed))
            fail(LH_ERROR_CANCELLED, "tokenization was cancelled");
        utf8.clear();
        for (size_t i = start; i < start + lengths[w]; ++i) unicode::append_utf8(cps[i], utf8);
        start += lengths[w];
        word.clear();
        for (unsigned char c : utf8) word += a.encode[c];
        merge_word(word, vocab, out);
    }
}

}  // namespace lh
