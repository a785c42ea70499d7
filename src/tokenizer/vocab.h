// SentencePiece (`tokenizer.ggml.model = llama`) vocabulary: tokenize and detokenize exactly as
// llama.cpp does for this vocabulary type.
//
// Behaviour (llama.cpp's, checked against shared/reference/llamacpp/tokenize.json):
// - tokenize(text, add_bos, parse_special): `add_bos` is llama.cpp's `add_special`: BOS goes first
//   when it is set AND the vocabulary's add_bos flag is set; EOS goes last when it is set AND the
//   vocabulary's add_eos flag is set. The text is cut into fragments at special tokens
//   (USER_DEFINED tokens always; CONTROL and UNKNOWN tokens such as "<s>", "</s>", "<unk>" only
//   with parse_special), longest special token first. Every text fragment that is the first one
//   or follows a special token gets a " " prepended when add_space_prefix is set; then ' ' is
//   replaced by U+2581 and the fragment is split into UTF-8 characters (a lead byte claims its
//   full length, clipped at the end; stray bytes are single symbols) which are merged pairwise,
//   always the adjacent pair whose merged text is a token of highest score (leftmost on ties).
//   A final symbol that is not a token becomes byte tokens "<0xNN>" (else the one-byte token,
//   else UNK; if none exists tokenize throws LH_ERROR_UNSUPPORTED). "" gives [] (or [BOS]).
//   Invalid UTF-8 never fails: its bytes go through the same rules and come out as byte tokens.
//   llama.cpp quirk kept: spaces are escaped BEFORE the split, so a truncated lead byte can
//   swallow the first bytes of a following "▁" (e.g. "\xC3 x" -> bytes C3 E2, 96, 81, "x"), and
//   that space then detokenizes as the raw bytes of U+2581 instead of ' '. Valid UTF-8 always
//   round-trips: detokenize(tokenize(t, false, false), DETOK_DEFAULT) == t.
// - piece(id, render_special): NORMAL -> text with U+2581 -> ' '; BYTE -> the raw byte;
//   USER_DEFINED -> text as is; CONTROL/UNKNOWN -> "" unless render_special (then the text);
//   UNUSED/UNDEFINED -> "".
// - detokenize: pieces concatenated; when add_space_prefix is set, one leading ' ' is removed
//   from the FIRST token's piece only (so a leading BOS, whose piece is "" or "<s>", keeps the
//   space of the next token). DETOK_REMOVE_SPECIAL drops a leading BOS only if the vocabulary's
//   add_bos flag is set (and then no space is stripped at all), and a trailing EOS only if its
//   add_eos flag is set.
// - is_eog: EOS, EOT (tokenizer.ggml.eot_token_id), EOM (tokenizer.ggml.eom_token_id) and, as
//   llama.cpp does, tokens whose text is a known end-of-turn marker ("</s>", "<|eot_id|>",
//   "<|im_end|>", "<|endoftext|>", "<end_of_turn>", ...); such tokens are made CONTROL.
// Ids: every function taking an id expects 0 <= id < size(); callers (the C API) must reject
// others first. As a safety net, token_text/piece/detokenize throw LH_ERROR_INVALID_ARGUMENT
// for an out-of-range id; is_eog/is_control return false.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lh {

class GgufFile;

// llama.cpp's token attribute values as stored in tokenizer.ggml.token_type.
enum class TokenKind : int32_t {
    UNDEFINED = 0,
    NORMAL = 1,
    UNKNOWN = 2,
    CONTROL = 3,
    USER_DEFINED = 4,
    UNUSED = 5,
    BYTE = 6,
};

enum DetokenizeFlags : int {
    DETOK_DEFAULT = 0,
    DETOK_RENDER_SPECIAL = 1,  // control tokens render as their text
    DETOK_REMOVE_SPECIAL = 2,  // drop a leading BOS / trailing EOS (see above for the conditions)
};

struct VocabData {
    std::vector<std::string> tokens;
    std::vector<float> scores;     // may be empty -> all 0
    std::vector<TokenKind> kinds;  // may be empty -> all NORMAL
    int32_t bos = -1, eos = -1, unk = -1, pad = -1;
    bool add_bos = true, add_eos = false;
    bool add_space_prefix = true;
    int32_t eot = -1, eom = -1;  // optional extra end-of-generation tokens
};

class Vocab {
public:
    // Validates (non-empty, array sizes agree, ids in [-1, size), no duplicate token texts,
    // finite scores, kinds in 0..6, BYTE tokens spelled "<0xNN>", add_bos/add_eos need the id).
    // Empty token texts are renamed "[EMPTY_<id>]" as llama.cpp does.
    // Throws lh::Error(LH_ERROR_BAD_FORMAT).
    explicit Vocab(VocabData data);
    // Reads tokenizer.ggml.* keys; model must be "llama" (else LH_ERROR_UNSUPPORTED).
    // Absent ids default to llama.cpp's SPM defaults (BOS 1, EOS 2, UNK 0 when in range); a
    // stored -1 / 0xFFFFFFFF means none; other out-of-range ids are LH_ERROR_BAD_FORMAT.
    static Vocab from_gguf(const GgufFile &file);

    int32_t size() const;
    int32_t bos() const;
    int32_t eos() const;
    int32_t unk() const;
    bool add_bos() const;
    bool add_eos() const;
    bool add_space_prefix() const;
    bool is_eog(int32_t id) const;  // false for out-of-range ids
    bool is_control(int32_t id) const;
    TokenKind kind(int32_t id) const;                 // id must be in range
    float score(int32_t id) const;                    // id must be in range
    const std::string &token_text(int32_t id) const;  // id must be in range
    int32_t find(std::string_view text) const;        // id of a token's exact text, or -1

    std::vector<int32_t> tokenize(std::string_view text, bool add_bos, bool parse_special) const;
    // Raw bytes of one token's piece (byte tokens -> the byte, "▁" -> ' ', control -> text when
    // render_special else ""). id must be in range.
    std::string piece(int32_t id, bool render_special) const;
    // Whole-sequence detokenization with llama.cpp's leading-space rule; ids must be in range.
    std::string detokenize(const int32_t *ids, size_t n, int flags) const;

private:
    void check_id(int32_t id) const;
    void tokenize_fragment(const std::string &escaped, std::vector<int32_t> &out) const;
    void push_bytes(const char *p, size_t n, std::vector<int32_t> &out) const;

    VocabData data_;
    // Open-addressing hash table from token text to id: slot holds id + 1 (0 = empty). Lookups
    // compare against data_.tokens, so the table stays valid when the Vocab is copied or moved.
    std::vector<uint32_t> table_;
    uint64_t table_mask_ = 0;
    std::vector<int32_t> byte_token_;     // 256 entries: token for a raw byte, or -1
    std::vector<std::string> pieces_;     // piece(id, true) for every id
    std::vector<int32_t> special_order_;  // CONTROL/UNKNOWN/USER_DEFINED ids, longest text first
    std::vector<uint8_t> eog_;            // per id: 1 if end-of-generation
};

}  // namespace lh
