// A loaded Llama-family model: hyper-parameters, vocabulary and weights, immutable after load
// and shared by any number of contexts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "longheads/longheads.h"
#include "model/hparams.h"
#include "ops/matmul.h"

namespace lh {

class GgufFile;
class Vocab;
struct GgufTensorInfo;

struct ModelOptions {
    lh_precision precision = LH_PRECISION_F32;  // AUTO resolves at load (auto_precision)
    int32_t n_threads = 0;  // threads converting weights at load; 0 = all cores
    bool vocab_only = false;  // read the vocabulary only: no hyper-parameters beyond n_vocab, no weights
    bool use_mmap = true;   // false: read the whole file into memory (GgufFile::open)
    bool check_tensors = false;  // check every weight is finite at load
};

struct LayerWeights {
    const float *attn_norm = nullptr;  // [n_embd]
    const float *ffn_norm = nullptr;   // [n_embd]
    WeightMatrix wq;                   // [q_dim][n_embd]
    WeightMatrix wk, wv;               // [kv_dim][n_embd]
    const float *bq = nullptr;         // optional biases (qwen2): [q_dim], [kv_dim], [kv_dim]
    const float *bk = nullptr;
    const float *bv = nullptr;
    const float *q_norm = nullptr;     // optional per-head RMS norm weights before RoPE (qwen3): [head_dim]
    const float *k_norm = nullptr;
    WeightMatrix wo;                   // [n_embd][q_dim]
    WeightMatrix w_gate, w_up;         // [n_ff][n_embd]
    WeightMatrix w_down;               // [n_embd][n_ff]
};

class Model {
public:
    // Opens and loads a GGUF file. Throws lh::Error: LH_ERROR_IO, LH_ERROR_BAD_FORMAT (names the
    // key or tensor, expected and actual shape), LH_ERROR_UNSUPPORTED (architecture, tensor type),
    // LH_ERROR_OUT_OF_MEMORY, LH_ERROR_INVALID_ARGUMENT (bad options).
    static std::unique_ptr<Model> load(const std::string &path, const ModelOptions &opts);
    // Same from an already opened file (tests build files in memory).
    static std::unique_ptr<Model> from_file(std::unique_ptr<GgufFile> file, ModelOptions opts);
    // What LH_PRECISION_AUTO becomes for a file: F32 when every matrix the products use (every
    // tensor of 2+ dimensions but an untied embedding table) is stored as float32, BF16
    // otherwise, so that quantized and 16-bit files keep their size.
    static lh_precision auto_precision(const GgufFile &file);
    ~Model();
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    const HParams &hparams() const { return hparams_; }
    const Vocab &vocab() const { return *vocab_; }
    const GgufFile &file() const { return *file_; }
    // Throws LH_ERROR_IO when the weights' memory-mapped file changed since loading
    // (GgufFile::check_unchanged); callers run it before reading weights.
    void check_file_unchanged() const;
    lh_precision precision() const { return precision_; }
    bool vocab_only() const { return vocab_only_; }
    // Bytes of weights as held in memory (converted copies plus tensors used in place from the
    // mapped file).
    uint64_t weight_bytes() const { return weight_bytes_; }
    uint64_t n_params() const { return n_params_; }
    bool output_tied() const { return output_tied_; }

    const LayerWeights &layer(int32_t i) const { return layers_[static_cast<size_t>(i)]; }
    const float *output_norm() const { return output_norm_; }
    const WeightMatrix &output() const { return output_; }  // [n_vocab][n_embd]

    // Rows of the embedding table for n tokens (ids must be in range) into out[n][n_embd], times
    // granite's embedding scale.
    void embed(const int32_t *tokens, int64_t n, float *out) const;
    // Divides rows x n_vocab logits by granite's logit scale (nothing for the other architectures).
    void scale_logits(float *logits, int64_t rows) const;

private:
    Model() = default;
    struct Loader;

    std::unique_ptr<GgufFile> file_;
    HParams hparams_;
    std::unique_ptr<Vocab> vocab_;
    lh_precision precision_ = LH_PRECISION_F32;
    bool vocab_only_ = false;
    std::vector<LayerWeights> layers_;
    const float *output_norm_ = nullptr;
    WeightMatrix output_;
    bool output_tied_ = false;
    const GgufTensorInfo *token_embd_ = nullptr;  // rows converted on lookup
    size_t token_embd_row_bytes_ = 0;
    uint64_t weight_bytes_ = 0;
    uint64_t n_params_ = 0;
    // Converted weights, 64-byte aligned (freed with std::free).
    std::vector<std::unique_ptr<void, void (*)(void *)>> buffers_;
};

}  // namespace lh
