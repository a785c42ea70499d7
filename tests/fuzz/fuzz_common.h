// Shared pieces of the libFuzzer targets: what to do with a parsed file or a loaded model.
// Every target accepts lh::Error (the library refusing the input, as it must) and lets anything
// else escape: another exception type, a crash, a sanitizer report or a huge allocation is a
// finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/vocab.h"

namespace lh_fuzz {

// Reads every metadata value and touches the first and last byte of every tensor, and
// dequantizes the first row of readable tensors (hostile bytes through the decoders).
void exercise_file(const lh::GgufFile &file);

// Loads a model from the file (one thread, F32 or BF16), then embeds, evaluates a couple of
// tokens in a tiny context, and tokenizes and detokenizes with its vocabulary.
void exercise_model(std::unique_ptr<lh::GgufFile> file, bool bf16);

// models/stories260K.gguf of the source tree (the repo's own test model).
std::string repo_model_path();
// The shared directory's Llama-2 vocabulary model, or "" when the shared directory is absent.
std::string shared_llama2_path();

// The tokenizer targets' vocabularies, loaded once: the repo model's, then the shared Llama-2 one
// when present. The input's first byte picks one (bit 2), so both are fuzzed from one corpus.
void load_vocabs();
const lh::Vocab &vocab_for(uint8_t flags);

// Aborts with a message (a finding) when `ok` is false: a broken invariant, not a refusal.
void invariant(bool ok, const char *what);

}  // namespace lh_fuzz
