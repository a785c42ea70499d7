// Pre-tokenizers of byte-level BPE vocabularies: they cut a text fragment into words before the
// merges run, as llama.cpp does for each `tokenizer.ggml.pre` value. Each one behaves like the
// regular expression of its family (quoted in pretokenizer.cpp), with llama.cpp's Unicode classes
// (unicode.h) and its quirks kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lh {

enum class PreTokenizer {
    GPT2,          // gpt-2, phi-2, mpt, olmo, exaone4, ...: the original GPT-2 expression
    LLAMA3,        // llama-bpe, llama3, llama-v3, ...: digits in groups of up to three
    QWEN2,         // qwen2, deepseek-r1-qwen, stablelm2, hunyuan, grok-2, ...: LLAMA3 with single digits
    QWEN35,        // qwen35 (Qwen3.5): QWEN2 with combining marks joining the letters
    DEEPSEEK_LLM,  // deepseek-llm: six expressions applied one after another
    SMOLLM,        // smollm, starcoder, command-r, ...: every digit alone, then GPT-2 within the rest
    TEKKEN,        // tekken (Mistral NeMo, Mistral Small 3): words cut where upper case follows lower
    GPT4O,         // gpt-4o, llama4, kanana2, talkie: TEKKEN with contractions and digits in groups of up to three
};

// What a `tokenizer.ggml.pre` value selects in llama.cpp besides the expression.
struct BpeFlavour {
    const char *name;
    PreTokenizer pre;
    bool ignore_merges;  // a word that is a token is taken whole
    bool add_bos;        // default of tokenizer.ggml.add_bos_token
    bool clean_spaces;   // detokenization drops the space before punctuation and contractions
};

// The flavour for a `tokenizer.ggml.pre` value; throws LH_ERROR_UNSUPPORTED naming an unknown
// value (and listing the known ones).
const BpeFlavour &bpe_flavour(const std::string &pre_name);

// Splits code points cps into words: appends each word's length in code points to `lengths`
// (the lengths sum to cps.size()).
void pretokenize(PreTokenizer kind, const std::vector<uint32_t> &cps, std::vector<uint32_t> &lengths);

}  // namespace lh
