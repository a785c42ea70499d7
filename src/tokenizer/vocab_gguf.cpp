// Vocab::from_gguf: the tokenizer.ggml.* metadata, with llama.cpp's defaults per vocabulary type.
#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/vocab.h"

namespace lh {

namespace {

[[noreturn]] void bad_format(const std::string &message) { fail(LH_ERROR_BAD_FORMAT, message); }

const GgufValue *find_array(const GgufFile &file, const std::string &key) {
    const GgufValue *v = file.find(key);
    if (v && v->type() != GgufType::ARRAY)
        bad_format("metadata key '" + key + "' is not an array (it is " + gguf_type_name(v->type()) + ")");
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

VocabType read_type(const GgufFile &file) {
    const GgufValue *model = file.find("tokenizer.ggml.model");
    if (!model) bad_format("missing metadata key 'tokenizer.ggml.model'");
    if (model->type() != GgufType::STRING) bad_format("metadata key 'tokenizer.ggml.model' is not a string");
    if (model->string() == "llama") return VocabType::SPM;
    if (model->string() == "gpt2") return VocabType::BPE;
    fail(LH_ERROR_UNSUPPORTED, "unsupported tokenizer model '" + std::string(model->string()) +
                                   "' (supported: 'llama', SentencePiece, and 'gpt2', byte-level BPE)");
}

std::vector<std::string> string_array(const GgufFile &file, const std::string &key) {
    const GgufValue *v = find_array(file, key);
    if (!v) bad_format("missing metadata key '" + key + "'");
    if (v->array_type() != GgufType::STRING) bad_format("metadata key '" + key + "' is not an array of strings");
    return v->strings();
}

void read_tokens(const GgufFile &file, VocabData &d) {
    d.tokens = string_array(file, "tokenizer.ggml.tokens");
    const size_t n = d.tokens.size();
    if (n == 0) bad_format("metadata key 'tokenizer.ggml.tokens' is empty");
    if (n > static_cast<size_t>(INT32_MAX - 1)) bad_format("metadata key 'tokenizer.ggml.tokens' is too large");

    if (const GgufValue *scores = find_array(file, "tokenizer.ggml.scores")) {
        if (scores->array_length() != n)
            bad_format("metadata key 'tokenizer.ggml.scores' has " + std::to_string(scores->array_length()) +
                       " entries for " + std::to_string(n) + " tokens");
        if (scores->array_type() == GgufType::FLOAT32 || scores->array_type() == GgufType::FLOAT64) {
            d.scores.reserve(n);
            for (size_t i = 0; i < n; ++i) d.scores.push_back(static_cast<float>(scores->real_at(i)));
        } else if (is_integer_type(scores->array_type())) {
            d.scores.reserve(n);
            for (size_t i = 0; i < n; ++i) d.scores.push_back(static_cast<float>(scores->int_at(i)));
        } else {
            bad_format("metadata key 'tokenizer.ggml.scores' is not an array of numbers");
        }
    }
    if (const GgufValue *types = find_array(file, "tokenizer.ggml.token_type")) {
        if (types->array_length() != n)
            bad_format("metadata key 'tokenizer.ggml.token_type' has " + std::to_string(types->array_length()) +
                       " entries for " + std::to_string(n) + " tokens");
        if (!is_integer_type(types->array_type()))
            bad_format("metadata key 'tokenizer.ggml.token_type' is not an array of integers");
        d.kinds.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            int64_t v = types->int_at(i);
            if (v < 0 || v > 6)
                bad_format("metadata key 'tokenizer.ggml.token_type': token " + std::to_string(i) +
                           " has invalid type " + std::to_string(v));
            d.kinds.push_back(static_cast<TokenKind>(v));
        }
    }
}

// An absent key takes the type's default (if in range); a stored -1 (or 0xFFFFFFFF in an unsigned
// 32-bit key) means "no such token"; any other value must be a valid id.
void read_special_ids(const GgufFile &file, VocabData &d) {
    const int64_t size = static_cast<int64_t>(d.tokens.size());
    auto id_key = [&](const char *key, int32_t fallback) -> int32_t {
        if (!file.find(key)) return fallback < size ? fallback : -1;
        int64_t v = file.get_int(key, -1);
        if (v == -1 || v == 0xFFFFFFFFll) return -1;
        if (v < 0 || v >= size)
            bad_format(std::string("metadata key '") + key + "' = " + std::to_string(v) +
                       " is out of range (vocabulary of " + std::to_string(size) + ")");
        return static_cast<int32_t>(v);
    };
    const bool spm = d.type == VocabType::SPM;
    d.bos = id_key("tokenizer.ggml.bos_token_id", spm ? 1 : 11);
    d.eos = id_key("tokenizer.ggml.eos_token_id", spm ? 2 : 11);
    d.unk = id_key("tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
    d.pad = id_key("tokenizer.ggml.padding_token_id", -1);
    d.eot = id_key("tokenizer.ggml.eot_token_id", -1);
    d.eom = id_key("tokenizer.ggml.eom_token_id", -1);
}

void read_bpe(const GgufFile &file, VocabData &d) {
    const GgufValue *pre = file.find("tokenizer.ggml.pre");
    if (!pre)
        fail(LH_ERROR_UNSUPPORTED, "BPE vocabulary without 'tokenizer.ggml.pre' (llama.cpp's degraded "
                                   "'default' pre-tokenizer) is not supported");
    if (pre->type() != GgufType::STRING) bad_format("metadata key 'tokenizer.ggml.pre' is not a string");
    const BpeFlavour &f = bpe_flavour(std::string(pre->string()));
    d.pre = f.pre;
    d.ignore_merges = f.ignore_merges;
    d.add_bos = f.add_bos;
    d.clean_spaces = f.clean_spaces;
    d.merges = string_array(file, "tokenizer.ggml.merges");
}

// llama.cpp gives the special tokens of models named Phi-3 the rstrip attribute.
bool is_phi3_name(const GgufFile &file) {
    const GgufValue *name = file.find("general.name");
    if (!name || name->type() != GgufType::STRING) return false;
    std::string lower(name->string());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("phi-3") != std::string::npos || lower.find("phi3") != std::string::npos;
}

}  // namespace

Vocab Vocab::from_gguf(const GgufFile &file) {
    VocabData d;
    d.type = read_type(file);
    read_tokens(file, d);
    read_special_ids(file, d);
    if (d.type == VocabType::BPE) {
        read_bpe(file, d);
        d.add_space_prefix = false;
    } else {
        d.add_bos = true;
        d.add_space_prefix = true;
    }
    d.add_bos = file.get_bool("tokenizer.ggml.add_bos_token", d.add_bos);
    d.add_eos = file.get_bool("tokenizer.ggml.add_eos_token", false);
    d.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix", d.add_space_prefix);
    d.special_rstrip = is_phi3_name(file);
    return Vocab(std::move(d));
}

}  // namespace lh
