#include "tokenizer/vocab.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

#include "common/error.h"
#include "gguf/gguf_file.h"

namespace lh {

namespace {

constexpr const char *kSpace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's space

[[noreturn]] void bad_format(const std::string &message) { fail(LH_ERROR_BAD_FORMAT, message); }

uint64_t hash_text(std::string_view s) {
    // FNV-1a, 64 bit.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

// Bytes of the UTF-8 character starting with `lead`, as llama.cpp counts them (by the high
// nibble only: continuation bytes and invalid leads count as 1, 0xF8..0xFF as 4).
size_t utf8_len(unsigned char lead) {
    static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[lead >> 4];
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// "<0xNN>" -> NN, else -1.
int parse_byte_token(const std::string &text) {
    if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>') return -1;
    int hi = hex_digit(text[3]), lo = hex_digit(text[4]);
    if (hi < 0 || lo < 0) return -1;
    return hi * 16 + lo;
}

std::string escape_spaces(std::string_view text, bool prefix_space) {
    std::string out;
    out.reserve(text.size() + 8);
    if (prefix_space) out += kSpace;
    for (char c : text) {
        if (c == ' ')
            out += kSpace;
        else
            out += c;
    }
    return out;
}

std::string unescape_spaces(const std::string &text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text.compare(i, 3, kSpace) == 0) {
            out += ' ';
            i += 3;
        } else {
            out += text[i++];
        }
    }
    return out;
}

// Texts llama.cpp treats as end-of-generation whatever their metadata (llama-vocab.cpp's list).
bool is_eog_text(const std::string &t) {
    static const char *const kTexts[] = {
        "<|eot_id|>",   "<|im_end|>", "<|end|>",   "<|return|>", "<|call|>",          "<|flush|>",
        "<|calls|>",    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>",      "<EOT>",
        "_<EOT>",       "[EOT]",      "[EOS]",     "<|end_of_text|>", "<end_of_utterance>", "<eos>",
        "<turn|>",      "<|tool_response>", ("<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"),  // DeepSeek
    };
    for (const char *s : kTexts)
        if (t == s) return true;
    return false;
}

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

const GgufValue *find_array(const GgufFile &file, const std::string &key) {
    const GgufValue *v = file.find(key);
    if (v && v->type != GgufType::ARRAY)
        bad_format("metadata key '" + key + "' is not an array (it is " + gguf_type_name(v->type) + ")");
    return v;
}

bool is_integer_type(GgufType t) {
    switch (t) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::UINT16:
        case GgufType::INT16:
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::UINT64:
        case GgufType::INT64: return true;
        default: return false;
    }
}

}  // namespace

Vocab::Vocab(VocabData data) : data_(std::move(data)) {
    const size_t n = data_.tokens.size();
    if (n == 0) bad_format("tokenizer: the vocabulary is empty");
    if (n > static_cast<size_t>(INT32_MAX - 1)) bad_format("tokenizer: the vocabulary is too large");
    if (data_.scores.empty()) data_.scores.assign(n, 0.0f);
    if (data_.kinds.empty()) data_.kinds.assign(n, TokenKind::NORMAL);
    if (data_.scores.size() != n)
        bad_format("tokenizer: " + std::to_string(data_.scores.size()) + " scores for " + std::to_string(n) +
                   " tokens");
    if (data_.kinds.size() != n)
        bad_format("tokenizer: " + std::to_string(data_.kinds.size()) + " token types for " +
                   std::to_string(n) + " tokens");
    const int32_t size = static_cast<int32_t>(n);
    auto check_special = [&](int32_t id, const char *what) {
        if (id < -1 || id >= size)
            bad_format(std::string("tokenizer: ") + what + " token id " + std::to_string(id) +
                       " is out of range (vocabulary of " + std::to_string(size) + ")");
    };
    check_special(data_.bos, "BOS");
    check_special(data_.eos, "EOS");
    check_special(data_.unk, "unknown");
    check_special(data_.pad, "padding");
    check_special(data_.eot, "EOT");
    check_special(data_.eom, "EOM");
    if (data_.add_bos && data_.bos < 0) bad_format("tokenizer: add_bos is set but there is no BOS token");
    if (data_.add_eos && data_.eos < 0) bad_format("tokenizer: add_eos is set but there is no EOS token");

    byte_token_.assign(256, -1);
    for (size_t i = 0; i < n; ++i) {
        int32_t kind = static_cast<int32_t>(data_.kinds[i]);
        if (kind < 0 || kind > 6)
            bad_format("tokenizer: token " + std::to_string(i) + " has invalid type " + std::to_string(kind));
        if (std::isnan(data_.scores[i]))
            bad_format("tokenizer: token " + std::to_string(i) + " has a NaN score");
        if (data_.tokens[i].empty()) data_.tokens[i] = "[EMPTY_" + std::to_string(i) + "]";
        if (data_.kinds[i] == TokenKind::BYTE && parse_byte_token(data_.tokens[i]) < 0)
            bad_format("tokenizer: byte token " + std::to_string(i) + " is not of the form <0xNN>");
    }

    // Text -> id table.
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    table_.assign(cap, 0);
    table_mask_ = cap - 1;
    for (size_t i = 0; i < n; ++i) {
        const std::string &t = data_.tokens[i];
        uint64_t h = hash_text(t) & table_mask_;
        while (table_[h] != 0) {
            if (data_.tokens[table_[h] - 1] == t)
                bad_format("tokenizer: duplicate token text (ids " + std::to_string(table_[h] - 1) + " and " +
                           std::to_string(i) + ")");
            h = (h + 1) & table_mask_;
        }
        table_[h] = static_cast<uint32_t>(i + 1);
    }

    // Raw byte -> token: "<0xNN>" first, else the one-byte token (llama.cpp's byte_to_token).
    char buf[7];
    static const char *hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        buf[0] = '<', buf[1] = '0', buf[2] = 'x', buf[3] = hex[b >> 4], buf[4] = hex[b & 15], buf[5] = '>';
        int32_t id = find(std::string_view(buf, 6));
        if (id < 0) {
            char c = static_cast<char>(b);
            id = find(std::string_view(&c, 1));
        }
        byte_token_[b] = id;
    }

    // End-of-generation tokens; like llama.cpp, EOG-looking texts become CONTROL.
    eog_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
        if (is_eog_text(data_.tokens[i])) {
            eog_[i] = 1;
            data_.kinds[i] = TokenKind::CONTROL;
        }
    }
    for (int32_t id : {data_.eos, data_.eot, data_.eom})
        if (id >= 0) eog_[id] = 1;

    // Special tokens matched in raw text, longest first (ties: lower id first).
    for (size_t i = 0; i < n; ++i) {
        TokenKind k = data_.kinds[i];
        if (k == TokenKind::CONTROL || k == TokenKind::UNKNOWN || k == TokenKind::USER_DEFINED)
            special_order_.push_back(static_cast<int32_t>(i));
    }
    std::stable_sort(special_order_.begin(), special_order_.end(), [&](int32_t a, int32_t b) {
        return data_.tokens[a].size() > data_.tokens[b].size();
    });

    // Pieces.
    pieces_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string &t = data_.tokens[i];
        switch (data_.kinds[i]) {
            case TokenKind::NORMAL: pieces_[i] = unescape_spaces(t); break;
            case TokenKind::BYTE: pieces_[i] = std::string(1, static_cast<char>(parse_byte_token(t))); break;
            case TokenKind::CONTROL:
            case TokenKind::UNKNOWN:
            case TokenKind::USER_DEFINED: pieces_[i] = t; break;
            default: break;  // UNUSED, UNDEFINED: nothing
        }
    }
}

Vocab Vocab::from_gguf(const GgufFile &file) {
    const GgufValue *model = file.find("tokenizer.ggml.model");
    if (!model) bad_format("missing metadata key 'tokenizer.ggml.model'");
    if (model->type != GgufType::STRING) bad_format("metadata key 'tokenizer.ggml.model' is not a string");
    if (model->string != "llama")
        fail(LH_ERROR_UNSUPPORTED, "unsupported tokenizer model '" + model->string +
                                       "' (only 'llama', SentencePiece, is supported)");

    VocabData d;
    const GgufValue *tokens = find_array(file, "tokenizer.ggml.tokens");
    if (!tokens) bad_format("missing metadata key 'tokenizer.ggml.tokens'");
    if (tokens->array_type != GgufType::STRING)
        bad_format("metadata key 'tokenizer.ggml.tokens' is not an array of strings");
    d.tokens = tokens->string_array;
    const size_t n = d.tokens.size();
    if (n == 0) bad_format("metadata key 'tokenizer.ggml.tokens' is empty");
    if (n > static_cast<size_t>(INT32_MAX - 1)) bad_format("metadata key 'tokenizer.ggml.tokens' is too large");

    if (const GgufValue *scores = find_array(file, "tokenizer.ggml.scores")) {
        if (scores->array_length() != n)
            bad_format("metadata key 'tokenizer.ggml.scores' has " + std::to_string(scores->array_length()) +
                       " entries for " + std::to_string(n) + " tokens");
        if (scores->array_type == GgufType::FLOAT32 || scores->array_type == GgufType::FLOAT64) {
            d.scores.assign(scores->real_array.begin(), scores->real_array.end());
        } else if (is_integer_type(scores->array_type)) {
            d.scores.reserve(n);
            for (int64_t v : scores->int_array) d.scores.push_back(static_cast<float>(v));
        } else {
            bad_format("metadata key 'tokenizer.ggml.scores' is not an array of numbers");
        }
    }
    if (const GgufValue *types = find_array(file, "tokenizer.ggml.token_type")) {
        if (types->array_length() != n)
            bad_format("metadata key 'tokenizer.ggml.token_type' has " + std::to_string(types->array_length()) +
                       " entries for " + std::to_string(n) + " tokens");
        if (!is_integer_type(types->array_type))
            bad_format("metadata key 'tokenizer.ggml.token_type' is not an array of integers");
        d.kinds.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            int64_t v = types->int_array[i];
            if (v < 0 || v > 6)
                bad_format("metadata key 'tokenizer.ggml.token_type': token " + std::to_string(i) +
                           " has invalid type " + std::to_string(v));
            d.kinds.push_back(static_cast<TokenKind>(v));
        }
    }

    const int64_t size = static_cast<int64_t>(n);
    // An absent key takes llama.cpp's SPM default (if in range); a stored -1 (or 0xFFFFFFFF in
    // an unsigned 32-bit key) means "no such token"; any other value must be a valid id.
    auto id_key = [&](const char *key, int32_t fallback) -> int32_t {
        if (!file.find(key)) return fallback < size ? fallback : -1;
        int64_t v = file.get_int(key, -1);
        if (v == -1 || v == 0xFFFFFFFFll) return -1;
        if (v < 0 || v >= size)
            bad_format(std::string("metadata key '") + key + "' = " + std::to_string(v) +
                       " is out of range (vocabulary of " + std::to_string(size) + ")");
        return static_cast<int32_t>(v);
    };
    d.bos = id_key("tokenizer.ggml.bos_token_id", 1);
    d.eos = id_key("tokenizer.ggml.eos_token_id", 2);
    d.unk = id_key("tokenizer.ggml.unknown_token_id", 0);
    d.pad = id_key("tokenizer.ggml.padding_token_id", -1);
    d.eot = id_key("tokenizer.ggml.eot_token_id", -1);
    d.eom = id_key("tokenizer.ggml.eom_token_id", -1);
    d.add_bos = file.get_bool("tokenizer.ggml.add_bos_token", true);
    d.add_eos = file.get_bool("tokenizer.ggml.add_eos_token", false);
    d.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix", true);
    return Vocab(std::move(d));
}

int32_t Vocab::size() const { return static_cast<int32_t>(data_.tokens.size()); }
int32_t Vocab::bos() const { return data_.bos; }
int32_t Vocab::eos() const { return data_.eos; }
int32_t Vocab::unk() const { return data_.unk; }
bool Vocab::add_bos() const { return data_.add_bos; }
bool Vocab::add_eos() const { return data_.add_eos; }
bool Vocab::add_space_prefix() const { return data_.add_space_prefix; }

bool Vocab::is_eog(int32_t id) const { return id >= 0 && id < size() && eog_[id] != 0; }

bool Vocab::is_control(int32_t id) const {
    return id >= 0 && id < size() && data_.kinds[id] == TokenKind::CONTROL;
}

void Vocab::check_id(int32_t id) const {
    if (id < 0 || id >= size())
        fail(LH_ERROR_INVALID_ARGUMENT, "token id " + std::to_string(id) + " is out of range (vocabulary of " +
                                            std::to_string(size()) + ")");
}

TokenKind Vocab::kind(int32_t id) const {
    check_id(id);
    return data_.kinds[id];
}

float Vocab::score(int32_t id) const {
    check_id(id);
    return data_.scores[id];
}

const std::string &Vocab::token_text(int32_t id) const {
    check_id(id);
    return data_.tokens[id];
}

int32_t Vocab::find(std::string_view text) const {
    uint64_t h = hash_text(text) & table_mask_;
    while (table_[h] != 0) {
        uint32_t id = table_[h] - 1;
        if (data_.tokens[id] == text) return static_cast<int32_t>(id);
        h = (h + 1) & table_mask_;
    }
    return -1;
}

void Vocab::push_bytes(const char *p, size_t n, std::vector<int32_t> &out) const {
    for (size_t i = 0; i < n; ++i) {
        int32_t id = byte_token_[static_cast<unsigned char>(p[i])];
        if (id < 0) id = data_.unk;
        if (id < 0)
            fail(LH_ERROR_UNSUPPORTED, "the vocabulary has no token for byte " +
                                           std::to_string(static_cast<unsigned char>(p[i])) +
                                           " and no unknown token");
        out.push_back(id);
    }
}

void Vocab::tokenize_fragment(const std::string &text, std::vector<int32_t> &out) const {
    if (text.empty()) return;
    if (text.size() > UINT32_MAX / 2) fail(LH_ERROR_INVALID_ARGUMENT, "text too long to tokenize");

    // Split into UTF-8 characters.
    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (size_t off = 0; off < text.size();) {
        size_t len = std::min(utf8_len(static_cast<unsigned char>(text[off])), text.size() - off);
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
        int32_t id = find(std::string_view(text.data() + symbols[left].offset, size));
        if (id < 0) return;
        queue.push(Bigram{data_.scores[id], left, right, size});
    };
    for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
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
        int32_t id = find(std::string_view(text.data() + s.offset, s.n));
        if (id >= 0)
            out.push_back(id);
        else
            push_bytes(text.data() + s.offset, s.n, out);  // only unmerged characters get here
    }
}

std::vector<int32_t> Vocab::tokenize(std::string_view text, bool add_bos, bool parse_special) const {
    // Cut the text at special tokens, longest special token first (llama.cpp's
    // tokenizer_st_partition): each text fragment is [offset, offset + length) of `text`.
    struct Fragment {
        int32_t token;  // -1: raw text
        size_t offset;
        size_t length;
    };
    std::vector<Fragment> fragments;
    if (!text.empty()) fragments.push_back(Fragment{-1, 0, text.size()});
    std::vector<Fragment> next;
    for (int32_t special : special_order_) {
        TokenKind k = data_.kinds[special];
        if (!parse_special && (k == TokenKind::CONTROL || k == TokenKind::UNKNOWN)) continue;
        const std::string &st = data_.tokens[special];
        bool any = false;
        for (const Fragment &f : fragments) {
            if (f.token < 0 && f.length >= st.size() &&
                text.substr(f.offset, f.length).find(st) != std::string_view::npos) {
                any = true;
                break;
            }
        }
        if (!any) continue;
        next.clear();
        for (const Fragment &f : fragments) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            std::string_view view = text.substr(f.offset, f.length);
            size_t pos = 0;
            while (true) {
                size_t match = view.find(st, pos);
                if (match == std::string_view::npos) {
                    if (pos < view.size()) next.push_back(Fragment{-1, f.offset + pos, view.size() - pos});
                    break;
                }
                if (match > pos) next.push_back(Fragment{-1, f.offset + pos, match - pos});
                next.push_back(Fragment{special, 0, 0});
                pos = match + st.size();
            }
        }
        fragments.swap(next);
    }

    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    const bool bos_first = add_bos && data_.add_bos;
    if (bos_first) out.push_back(data_.bos);
    bool prev_special = true;  // the first fragment also gets the space prefix
    for (const Fragment &f : fragments) {
        if (f.token >= 0) {
            out.push_back(f.token);
            prev_special = true;
            continue;
        }
        std::string escaped = escape_spaces(text.substr(f.offset, f.length), data_.add_space_prefix && prev_special);
        tokenize_fragment(escaped, out);
        prev_special = false;
    }
    if (add_bos && data_.add_eos) out.push_back(data_.eos);
    return out;
}

std::string Vocab::piece(int32_t id, bool render_special) const {
    check_id(id);
    if (!render_special) {
        TokenKind k = data_.kinds[id];
        if (k == TokenKind::CONTROL || k == TokenKind::UNKNOWN) return std::string();
    }
    return pieces_[id];
}

std::string Vocab::detokenize(const int32_t *ids, size_t n, int flags) const {
    for (size_t i = 0; i < n; ++i) check_id(ids[i]);
    const bool render = (flags & DETOK_RENDER_SPECIAL) != 0;
    const bool remove = (flags & DETOK_REMOVE_SPECIAL) != 0;
    bool strip_space = data_.add_space_prefix;
    if (remove && data_.add_bos && n > 0 && ids[0] == data_.bos) {
        strip_space = false;
        ++ids;
        --n;
    }
    if (remove && data_.add_eos && n > 0 && ids[n - 1] == data_.eos) --n;
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        const int32_t id = ids[i];
        const TokenKind k = data_.kinds[id];
        const bool hidden = !render && (k == TokenKind::CONTROL || k == TokenKind::UNKNOWN);
        if (!hidden) {
            const std::string &p = pieces_[id];
            if (strip_space && !p.empty() && p[0] == ' ')
                out.append(p, 1, std::string::npos);
            else
                out += p;
        }
        strip_space = false;  // only ever the first token's piece
    }
    return out;
}

}  // namespace lh
