#include "sampling/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace lh {

namespace {

[[noreturn]] void invalid(const std::string &message) { fail(LH_ERROR_INVALID_ARGUMENT, message); }

uint64_t splitmix64(uint64_t &x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Sampler::Sampler(const SamplerOptions &options) : options_(options) {
    const SamplerOptions &o = options_;
    if (std::isnan(o.temperature)) invalid("sampler temperature is NaN");
    if (!(o.top_p > 0.0f && o.top_p <= 1.0f))
        invalid("sampler top_p must be in (0, 1], got " + std::to_string(o.top_p));
    if (!(o.min_p >= 0.0f && o.min_p <= 1.0f))
        invalid("sampler min_p must be in [0, 1], got " + std::to_string(o.min_p));
    if (!(o.repeat_penalty > 0.0f) || std::isinf(o.repeat_penalty))
        invalid("sampler repeat_penalty must be a finite value > 0, got " + std::to_string(o.repeat_penalty));
    if (o.repeat_last_n < 0)
        invalid("sampler repeat_last_n must be >= 0, got " + std::to_string(o.repeat_last_n));
    reset();
}

void Sampler::reset() {
    history_.clear();
    history_pos_ = 0;
    uint64_t x = options_.seed;
    for (uint64_t &s : state_) s = splitmix64(x);
}

uint64_t Sampler::next_u64() {
    // xoshiro256** (Blackman & Vigna).
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
}

double Sampler::next_uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

void Sampler::accept(int32_t token) {
    const size_t cap = static_cast<size_t>(options_.repeat_last_n);
    if (cap == 0) return;
    if (history_.size() < cap) {
        history_.push_back(token);
    } else {
        history_[history_pos_] = token;
        history_pos_ = (history_pos_ + 1) % cap;
    }
}

int32_t Sampler::sample(const float *logits, int32_t n_vocab) {
    if (!logits) invalid("sampler: logits is NULL");
    if (n_vocab <= 0) invalid("sampler: n_vocab must be > 0, got " + std::to_string(n_vocab));
    const SamplerOptions &o = options_;
    const size_t n = static_cast<size_t>(n_vocab);

    logits_.assign(logits, logits + n);
    for (float &l : logits_) {
        if (std::isnan(l))
            l = -INFINITY;
        else if (l == INFINITY)
            l = FLT_MAX;
    }

    // 1. Repetition penalty, once per distinct recent token.
    if (o.repeat_penalty != 1.0f && !history_.empty()) {
        penalized_.assign(history_.begin(), history_.end());
        std::sort(penalized_.begin(), penalized_.end());
        penalized_.erase(std::unique(penalized_.begin(), penalized_.end()), penalized_.end());
        for (int32_t id : penalized_) {
            if (id < 0 || id >= n_vocab) continue;
            float &l = logits_[id];
            l = l > 0.0f ? l / o.repeat_penalty : l * o.repeat_penalty;
        }
    }

    auto better = [this](int32_t a, int32_t b) {
        return logits_[a] > logits_[b] || (logits_[a] == logits_[b] && a < b);
    };

    int32_t chosen = -1;
    if (!(o.temperature > 0.0f)) {
        // 2. Greedy.
        int32_t best = 0;
        for (int32_t i = 1; i < n_vocab; ++i)
            if (logits_[i] > logits_[best]) best = i;
        chosen = best;
    } else {
        ids_.resize(n);
        std::iota(ids_.begin(), ids_.end(), 0);
        size_t m = n;
        // 3a. top-k: the k best, in any order.
        if (o.top_k > 0 && static_cast<size_t>(o.top_k) < n) {
            m = static_cast<size_t>(o.top_k);
            std::nth_element(ids_.begin(), ids_.begin() + m, ids_.end(), better);
        }
        int32_t best = ids_[0];
        for (size_t i = 1; i < m; ++i)
            if (better(ids_[i], best)) best = ids_[i];
        const float l_max = logits_[best];
        if (l_max == -INFINITY) {
            chosen = best;  // nothing has any probability: the lowest id
        } else {
            // 3b. top-p over the candidates' softmax at temperature 1, sorting only the prefix
            // needed, in growing chunks.
            if (o.top_p < 1.0f) {
                double z = 0.0;
                for (size_t i = 0; i < m; ++i) z += std::exp(static_cast<double>(logits_[ids_[i]]) - l_max);
                const double target = static_cast<double>(o.top_p) * z;
                double cum = 0.0;
                size_t keep = m, sorted = 0, chunk = 64;
                bool found = false;
                while (!found && sorted < m) {
                    const size_t end = std::min(m, sorted + chunk);
                    if (end < m) std::nth_element(ids_.begin() + sorted, ids_.begin() + end, ids_.begin() + m, better);
                    std::sort(ids_.begin() + sorted, ids_.begin() + end, better);
                    for (size_t i = sorted; i < end; ++i) {
                        cum += std::exp(static_cast<double>(logits_[ids_[i]]) - l_max);
                        if (cum >= target) {
                            keep = i + 1;
                            found = true;
                            break;
                        }
                    }
                    sorted = end;
                    chunk *= 2;
                }
                m = keep;
            }
            // 3c. min-p: p_i >= min_p * p_max  <=>  logit_i >= l_max + ln(min_p).
            if (o.min_p > 0.0f) {
                const double threshold = static_cast<double>(l_max) + std::log(static_cast<double>(o.min_p));
                size_t w = 0;
                for (size_t i = 0; i < m; ++i)
                    if (static_cast<double>(logits_[ids_[i]]) >= threshold) ids_[w++] = ids_[i];
                m = w;  // l_max itself always passes
            }
            // Canonical order for the draw: increasing id (independent of the std library's
            // selection algorithms).
            if (m > n / 8) {
                penalized_.assign(n, 0);  // reuse as a mark array
                for (size_t i = 0; i < m; ++i) penalized_[ids_[i]] = 1;
                size_t w = 0;
                for (size_t id = 0; id < n; ++id)
                    if (penalized_[id]) ids_[w++] = static_cast<int32_t>(id);
            } else {
                std::sort(ids_.begin(), ids_.begin() + m);
            }
            // 4-5. Temperature, softmax, draw.
            const double inv_t = 1.0 / static_cast<double>(o.temperature);
            double total = 0.0;
            weights_.resize(m);
            for (size_t i = 0; i < m; ++i) {
                const double w = std::exp((static_cast<double>(logits_[ids_[i]]) - l_max) * inv_t);
                weights_[i] = w;
                total += w;
            }
            const double u = next_uniform() * total;
            double cum = 0.0;
            chosen = best;
            for (size_t i = 0; i < m; ++i) {
                cum += weights_[i];
                if (cum > u) {
                    chosen = ids_[i];
                    break;
                }
            }
        }
    }
    accept(chosen);
    return chosen;
}

}  // namespace lh
