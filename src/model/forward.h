// The Llama forward pass over one batch of tokens: embeddings, the layers (attention through
// lh::Attention, SwiGLU feed-forward) and the output head, with its activation buffers.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <vector>

namespace lh {

class Attention;
class MatmulCache;
class Model;
struct HParams;

class Forward {
public:
    // Batches of up to max_batch tokens. The buffers are allocated by run() for the largest batch
    // seen so far, so a large max_batch costs nothing until batches that large come.
    Forward(const Model &model, int32_t max_batch);

    // Bytes of the activation buffers for batches of max_batch tokens (output logits excluded).
    static uint64_t activation_bytes(const HParams &hp, int32_t max_batch);

    // Runs tokens[0..n) (n <= max_batch, ids valid) at positions pos0.. through the model,
    // appending them to `attn`'s cache. Writes the logits of rows first_logit..n-1 to
    // logits[(row - first_logit) * n_vocab]; first_logit == n writes none. Returns false when
    // `cancel` was seen set between layers: the cache then holds this batch only partly.
    bool run(const int32_t *tokens, int32_t n, int32_t pos0, int32_t first_logit, float *logits,
             Attention &attn, MatmulCache &mm, const std::atomic<bool> *cancel);

    int32_t max_batch() const { return max_batch_; }

    // A query temperature (mistral3) is taken at min(position, cap): LongHeads caps it at the last
    // trained position, as it keeps every head's positions inside the trained window.
    void set_temperature_cap(int64_t cap) { temperature_cap_ = cap; }

private:
    // Multiplies the n query rows at positions pos0.. by the model's query temperature (if any).
    void apply_query_temperature(float *q, int32_t n, int32_t pos0) const;
    void ensure_rows(int32_t n);  // buffers for n rows (grows only)
    // The same pass for one token when every layer matrix takes int8 products (model/forward_decode.cpp):
    // one parallel region per token instead of four per layer.
    bool run_one_token(int32_t token, int32_t pos, bool want_logits, float *logits, Attention &attn,
                       MatmulCache &mm, const std::atomic<bool> *cancel);
    static bool int8_layers(const Model &model);

    const Model &model_;
    int32_t max_batch_;
    int32_t rows_ = 0;
    bool int8_layers_ = false;  // every layer matrix quantized: run_one_token applies
    int64_t temperature_cap_ = INT64_MAX;
    std::vector<float> x_, h_, q_, k_, v_, att_, gate_, up_;
};

}  // namespace lh
