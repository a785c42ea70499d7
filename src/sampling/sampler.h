// Token sampler: repetition penalty, then greedy or top-k / top-p / min-p / temperature and a
// draw from a deterministic PRNG (same seed and inputs -> same tokens on every platform).
//
// Order (llama.cpp's default chain: penalties, top_k, top_p, min_p, temp, dist):
//  1. Repetition penalty: every distinct token among the last repeat_last_n recorded tokens
//     (sampled or accept()ed) with id < n_vocab has its logit divided by repeat_penalty if > 0,
//     else multiplied. Off when repeat_penalty == 1 or repeat_last_n == 0.
//  2. temperature <= 0: argmax of the penalized logits (lowest id on ties). No PRNG draw.
//  3. Candidates are ranked by logit (descending, lower id first on ties); every filter keeps a
//     prefix of that ranking:
//     top_k  (> 0): the k best (k >= n_vocab or k <= 0: all);
//     top_p  (< 1): softmax over the remaining candidates at temperature 1; keep the smallest
//                   prefix whose cumulative probability reaches top_p (at least one token);
//     min_p  (> 0): drop tokens whose probability is below min_p * p_max, i.e. whose logit is
//                   below max_logit + ln(min_p) (temperature 1, the same as llama.cpp).
//  4. Temperature: the kept logits are divided by temperature and soft-maxed.
//  5. Draw: u in [0, 1) from xoshiro256** (seeded by splitmix64 from `seed`), one draw per
//     sample(); the token is the first, in increasing id order, whose cumulative weight exceeds
//     u * total.
// Non-finite logits: NaN counts as -inf; +inf is clamped to the largest float. If every logit
// is -inf/NaN, token 0 is returned.
// Cost: O(n_vocab) plus partial selection (nth_element / sorts of the kept prefix only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lh {

struct SamplerOptions {
    float temperature = 0.8f;   // <= 0: greedy. NaN rejected.
    int32_t top_k = 40;         // <= 0: off
    float top_p = 0.95f;        // (0, 1]; 1: off
    float min_p = 0.05f;        // [0, 1]; 0: off
    float repeat_penalty = 1.0f;  // > 0; 1: off
    int32_t repeat_last_n = 64;   // >= 0; 0: off
    uint64_t seed = 0xC0FFEE;
};

class Sampler {
public:
    // Validates; throws lh::Error(LH_ERROR_INVALID_ARGUMENT) naming the bad field.
    explicit Sampler(const SamplerOptions &options);

    // Picks a token from n_vocab logits (not modified) and records it for the penalty.
    // Throws LH_ERROR_INVALID_ARGUMENT for a null pointer or n_vocab <= 0.
    int32_t sample(const float *logits, int32_t n_vocab);
    // Records a token not chosen by sample() (prompt tokens). Any value is accepted; ids outside
    // [0, n_vocab) of a later sample() are ignored by the penalty.
    void accept(int32_t token);
    // Forgets the recorded tokens and restarts the PRNG from the seed.
    void reset();

    const SamplerOptions &options() const { return options_; }

    // The PRNG's next uniform double in [0, 1) (exposed for tests).
    double next_uniform();

private:
    uint64_t next_u64();

    SamplerOptions options_;
    uint64_t state_[4];
    std::vector<int32_t> history_;  // ring buffer of the last repeat_last_n tokens
    size_t history_pos_ = 0;
    // Scratch, reused between calls.
    std::vector<float> logits_;
    std::vector<int32_t> ids_;
    std::vector<int32_t> penalized_;  // distinct recent tokens; also a mark array
    std::vector<double> weights_;
};

}  // namespace lh
