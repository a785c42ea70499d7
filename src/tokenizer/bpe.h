// Byte-level BPE (`tokenizer.ggml.model = gpt2`) as llama.cpp runs it: the fragment is cut into
// words by the pre-tokenizer, each word's UTF-8 bytes are mapped to GPT-2's printable byte
// characters, and adjacent symbols are merged, always the pair of lowest merge rank (leftmost on
// ties). A word that is itself a token is taken whole when ignore_merges is set (Llama-3).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pretokenizer.h"

namespace lh {

class Vocab;

class BpeModel {
public:
    BpeModel() = default;
    // merges: "left right" strings in rank order (split at the first space after the first
    // byte, as llama.cpp does; a duplicate keeps its first rank).
    BpeModel(std::vector<std::string> merges, PreTokenizer pre, bool ignore_merges);

    PreTokenizer pre() const { return pre_; }
    size_t n_merges() const { return merges_.size(); }

    // Appends the tokens of one text fragment (no special tokens inside). Polls `cancel`.
    void tokenize(std::string_view text, const Vocab &vocab, std::vector<int32_t> &out,
                  const std::atomic<bool> *cancel) const;

    // GPT-2's byte <-> character mapping: bytes of a token's text in the byte-level alphabet
    // back to raw bytes. Characters outside the alphabet come out as llama.cpp writes them
    // ("[UNK_BYTE_0x<hex>" + text + "]").
    static std::string decode_text(const std::string &token_text);
    // UTF-8 of the printable character standing for `byte`.
    static const std::string &encode_byte(uint8_t byte);

private:
    int32_t rank(std::string_view left, std::string_view right, std::string &key) const;
    void merge_word(const std::string &word, const Vocab &vocab, std::vector<int32_t> &out) const;

    std::vector<std::string> merges_;
    std::unordered_map<std::string_view, int32_t> ranks_;  // views into merges_
    PreTokenizer pre_ = PreTokenizer::GPT2;
    bool ignore_merges_ = false;
};

}  // namespace lh
