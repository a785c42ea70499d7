#include "tokenizer/vocab.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"

namespace lh {

namespace {

constexpr const char *kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

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
        "<turn|>",      "<|tool_response>", "[e~[",
        ("<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"),  // DeepSeek
    };
    for (const char *s : kTexts)
        if (t == s) return true;
    return false;
}

bool is_special_kind(TokenKind k) {
    return k == TokenKind::CONTROL || k == TokenKind::UNKNOWN || k == TokenKind::USER_DEFINED;
}

// llama.cpp's clean_up_tokenization_spaces: " ?" " !" " ." " ," lose the space, a lone "'"
// between spaces loses both, and " 's" " 'm" " 're" " 've" lose the space.
std::string clean_spaces(const std::string &in) {
    std::string a;
    a.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const char x = in[i];
        if (i > 0 && in[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
        a += x;
    }
    std::string b;
    b.reserve(a.size());
    size_t dropped = std::string::npos;  // llama.cpp blanks the dropped space in place
    for (size_t i = 0; i < a.size(); ++i) {
        const char x = a[i];
        const char before = i == 0 ? '\0' : (i - 1 == dropped ? '\0' : a[i - 1]);
        if (x == '\'' && i + 1 < a.size() && before == ' ' && a[i + 1] == ' ') {
            b.pop_back();
            b += x;
            dropped = ++i;  // the space after it goes too
            continue;
        }
        b += x;
    }
    std::string c;
    c.reserve(b.size());
    for (size_t i = 0; i < b.size(); ++i) {
        const char x = b[i];
        if (i > 0 && b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
            const char x1 = b[i + 1];
            const char x2 = i + 2 < b.size() ? b[i + 2] : '\0';
            if (x1 == 's' || x1 == 'm' || (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) c.pop_back();
        }
        c += x;
    }
    return c;
}

}  // namespace

Vocab::Vocab(VocabData data) : data_(std::move(data)) {
    validate();
    build_lookup();
    mark_end_of_generation();
    build_specials();
    build_pieces();
    if (data_.type == VocabType::BPE)
        bpe_ = std::make_unique<BpeModel>(std::move(data_.merges), data_.pre, data_.ignore_merges);
}

Vocab::~Vocab() = default;
Vocab::Vocab(Vocab &&) noexcept = default;
Vocab &Vocab::operator=(Vocab &&) noexcept = default;

void Vocab::validate() {
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
}

void Vocab::build_lookup() {
    const size_t n = data_.tokens.size();
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
    byte_token_.assign(256, -1);
    char buf[6];
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
}

void Vocab::mark_end_of_generation() {
    // Like llama.cpp, EOG-looking texts become CONTROL.
    const size_t n = data_.tokens.size();
    eog_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
        if (is_eog_text(data_.tokens[i])) {
            eog_[i] = 1;
            data_.kinds[i] = TokenKind::CONTROL;
        }
    }
    for (int32_t id : {data_.eos, data_.eot, data_.eom})
        if (id >= 0) eog_[id] = 1;
}

void Vocab::build_specials() {
    std::vector<std::string> texts;
    std::vector<SpecialTokenMatcher::Entry> entries;
    for (size_t i = 0; i < data_.tokens.size(); ++i) {
        const TokenKind k = data_.kinds[i];
        if (!is_special_kind(k)) continue;
        const std::string &t = data_.tokens[i];
        // llama.cpp's Phi-3 rule: every special token strips the whitespace after it, except
        // <unk>, <s> and <|endoftext|>.
        const bool rstrip = data_.special_rstrip && t != "<unk>" && t != "<s>" && t != "<|endoftext|>";
        texts.push_back(t);
        entries.push_back(SpecialTokenMatcher::Entry{static_cast<int32_t>(i), k == TokenKind::USER_DEFINED, false, rstrip});
    }
    specials_ = SpecialTokenMatcher(texts, std::move(entries));
}

void Vocab::build_pieces() {
    const size_t n = data_.tokens.size();
    pieces_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string &t = data_.tokens[i];
        switch (data_.kinds[i]) {
            case TokenKind::NORMAL:
                pieces_[i] = data_.type == VocabType::BPE ? BpeModel::decode_text(t) : unescape_spaces(t);
                break;
            case TokenKind::BYTE: pieces_[i] = std::string(1, static_cast<char>(parse_byte_token(t))); break;
            case TokenKind::CONTROL:
            case TokenKind::UNKNOWN:
            case TokenKind::USER_DEFINED: pieces_[i] = t; break;
            default: break;  // UNUSED, UNDEFINED: nothing
        }
    }
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

std::vector<int32_t> Vocab::tokenize(std::string_view text, bool add_bos, bool parse_special,
                                     const std::atomic<bool> *cancel) const {
    const std::vector<TextPiece> pieces = specials_.split(text, parse_special, cancel);
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (add_bos && data_.add_bos) out.push_back(data_.bos);
    bool prev_special = true;  // the first SentencePiece fragment also gets the space prefix
    for (const TextPiece &p : pieces) {
        if (p.token >= 0) {
            out.push_back(p.token);
            prev_special = true;
            continue;
        }
        const std::string_view fragment = text.substr(p.offset, p.length);
        if (bpe_) {
            bpe_->tokenize(fragment, *this, out, cancel);
        } else {
            spm_tokenize(*this, escape_spaces(fragment, data_.add_space_prefix && prev_special), out, cancel);
        }
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
    return data_.clean_spaces ? clean_spaces(out) : out;
}

}  // namespace lh
