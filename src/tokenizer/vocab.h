// A model's vocabulary: SentencePiece (`tokenizer.ggml.model = llama`) or byte-level BPE
// (`gpt2`), tokenized and detokenized exactly as llama.cpp does for that vocabulary.
//
// Behaviour (llama.cpp's; checked against shared/reference/llamacpp/tokenize*.json and live):
// - tokenize(text, add_bos, parse_special): `add_bos` is llama.cpp's `add_special`: BOS goes first
//   when it is set AND the vocabulary's add_bos flag is set; EOS goes last when it is set AND the
//   vocabulary's add_eos flag is set. The text is cut into fragments at special tokens
//   (USER_DEFINED tokens always; CONTROL and UNKNOWN tokens such as "<s>", "</s>", "<unk>" only
//   with parse_special), longest special token first (special_tokens.h; one pass over the text).
//   Models named Phi-3 give their special tokens llama.cpp's rstrip attribute.
// - SentencePiece fragments: every text fragment that is the first one or follows a special token
//   gets a " " prepended when add_space_prefix is set; then ' ' is replaced by U+2581 and the
//   fragment is split into UTF-8 characters (a lead byte claims its full length, clipped at the
//   end; stray bytes are single symbols) which are merged pairwise, always the adjacent pair whose
//   merged text is a token of highest score (leftmost on ties). A final symbol that is not a token
//   becomes byte tokens "<0xNN>" (else the one-byte token, else UNK; if none exists tokenize throws
//   LH_ERROR_UNSUPPORTED). Invalid UTF-8 never fails: its bytes come out as byte tokens.
//   llama.cpp quirk kept: spaces are escaped BEFORE the split, so a truncated lead byte can
//   swallow the first bytes of a following "▁" (e.g. "\xC3 x" -> bytes C3 E2, 96, 81, "x").
// - BPE fragments: bpe.h (pre-tokenizer chosen by tokenizer.ggml.pre, byte-level alphabet, merges
//   by rank). Invalid UTF-8 bytes become U+FFFD first, as in llama.cpp.
// - "" gives [] (or [BOS]). Valid UTF-8 round-trips: detokenize(tokenize(t, false, false)) == t
//   (SentencePiece; BPE too unless clean_spaces rewrites " ," and the like, see below).
// - piece(id, render_special): NORMAL -> text (SentencePiece: U+2581 -> ' '; BPE: byte-level
//   characters -> bytes); BYTE -> the raw byte; USER_DEFINED -> text as is; CONTROL/UNKNOWN -> ""
//   unless render_special (then the text); UNUSED/UNDEFINED -> "".
// - detokenize: pieces concatenated; when add_space_prefix is set, one leading ' ' is removed
//   from the FIRST token's piece only. DETOK_REMOVE_SPECIAL drops a leading BOS only if the
//   vocabulary's add_bos flag is set (and then no space is stripped at all), and a trailing EOS
//   only if its add_eos flag is set. BPE vocabularies with clean_spaces (gpt-2, llama-bpe) then
//   drop the space before ? ! . , and before 's 'm 're 've, and the spaces around a lone "'".
// - is_eog: EOS, EOT, EOM and, as llama.cpp does, tokens whose text is a known end-of-turn marker
//   ("</s>", "<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", ...), made CONTROL.
// Ids: every function taking an id expects 0 <= id < size(); callers (the C API) must reject
// others first. As a safety net, token_text/piece/detokenize throw LH_ERROR_INVALID_ARGUMENT
// for an out-of-range id; is_eog/is_control return false.
// Cancel: tokenize polls `cancel` (may be null) while it works and throws
// lh::Error(LH_ERROR_CANCELLED) once it is set.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/bpe.h"
#include "tokenizer/special_tokens.h"

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

enum class VocabType { SPM, BPE };

enum DetokenizeFlags : int {
    DETOK_DEFAULT = 0,
    DETOK_RENDER_SPECIAL = 1,  // control tokens render as their text
    DETOK_REMOVE_SPECIAL = 2,  // drop a leading BOS / trailing EOS (see above for the conditions)
};

struct VocabData {
    VocabType type = VocabType::SPM;
    std::vector<std::string> tokens;
    std::vector<float> scores;     // may be empty -> all 0
    std::vector<TokenKind> kinds;  // may be empty -> all NORMAL
    int32_t bos = -1, eos = -1, unk = -1, pad = -1;
    bool add_bos = true, add_eos = false;
    bool add_space_prefix = true;
    int32_t eot = -1, eom = -1;  // optional extra end-of-generation tokens
    // BPE only.
    std::vector<std::string> merges;
    PreTokenizer pre = PreTokenizer::GPT2;
    bool ignore_merges = false;
    bool clean_spaces = false;
    // Special tokens swallow the ASCII whitespace after them (llama.cpp's rule for Phi-3 models).
    bool special_rstrip = false;
};

class Vocab {
public:
    // Validates (non-empty, array sizes agree, ids in [-1, size), no duplicate token texts,
    // finite scores, kinds in 0..6, BYTE tokens spelled "<0xNN>", add_bos/add_eos need the id).
    // Empty token texts are renamed "[EMPTY_<id>]" as llama.cpp does.
    // Throws lh::Error(LH_ERROR_BAD_FORMAT).
    explicit Vocab(VocabData data);
    ~Vocab();
    Vocab(Vocab &&) noexcept;
    Vocab &operator=(Vocab &&) noexcept;

    // Reads tokenizer.ggml.* keys (vocab_gguf.cpp); model "llama" or "gpt2" (else
    // LH_ERROR_UNSUPPORTED, as is an unknown tokenizer.ggml.pre). Absent ids take llama.cpp's
    // defaults for the type (SentencePiece: BOS 1, EOS 2, UNK 0 when in range); a stored -1 /
    // 0xFFFFFFFF means none; other out-of-range ids are LH_ERROR_BAD_FORMAT.
    static Vocab from_gguf(const GgufFile &file);

    VocabType type() const { return data_.type; }
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
    int32_t byte_token(uint8_t byte) const { return byte_token_[byte]; }  // SentencePiece: or -1
    const BpeModel *bpe() const { return bpe_.get(); }
    size_t n_special() const { return specials_.size(); }

    std::vector<int32_t> tokenize(std::string_view text, bool add_bos, bool parse_special,
                                  const std::atomic<bool> *cancel = nullptr) const;
    // Raw bytes of one token's piece (see above). id must be in range.
    std::string piece(int32_t id, bool render_special) const;
    // Whole-sequence detokenization with llama.cpp's leading-space rule; ids must be in range.
    std::string detokenize(const int32_t *ids, size_t n, int flags) const;

private:
    void check_id(int32_t id) const;
    // Construction phases.
    void validate();
    void build_lookup();
    void mark_end_of_generation();
    void build_specials();
    void build_pieces();

    VocabData data_;
    // Open-addressing hash table from token text to id: slot holds id + 1 (0 = empty). Lookups
    // compare against data_.tokens, so the table stays valid when the Vocab is moved.
    std::vector<uint32_t> table_;
    uint64_t table_mask_ = 0;
    std::vector<int32_t> byte_token_;  // 256 entries: token for a raw byte, or -1
    std::vector<std::string> pieces_;  // piece(id, true) for every id
    std::vector<uint8_t> eog_;         // per id: 1 if end-of-generation
    SpecialTokenMatcher specials_;
    std::unique_ptr<BpeModel> bpe_;
};

// SentencePiece merges of one escaped fragment (spm.cpp).
void spm_tokenize(const Vocab &vocab, const std::string &escaped, std::vector<int32_t> &out,
                  const std::atomic<bool> *cancel);

}  // namespace lh
