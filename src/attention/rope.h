// RoPE as llama.cpp (ggml_rope_ext) applies it: pair i < n_rot/2 is rotated by the angle
// pos * freq_scale * theta^(-2i/n_rot) / freq_factor[i] and scaled by attn_factor (1 unless the
// file sets rope.scaling.attn_factor, as LongRoPE files do); dims >= n_rot are left alone.
// The pairs are adjacent, (x[2i], x[2i+1]), for the `llama` arch (ggml's "normal" rope), and
// (x[i], x[i + n_rot/2]) for NEOX-style archs (qwen2, qwen3, phi3). freq_scale is 1/factor of linear
// scaling; freq_factor is Llama-3.1's rope_freqs tensor or LongRoPE's long or short factors (1 when
// absent).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace lh::attn {

// cos/sin per position, filled on demand (positions only grow, so entries are computed once).
// Angles are computed in double and rounded once to float.
class RopeTable {
public:
    RopeTable() = default;
    // freq_factors: empty, or n_rot/2 positive factors. attn_factor multiplies every cosine and
    // sine (ggml's mscale), so a rotated pair's length grows by it and the dims past n_rot do not.
    // yarn_orig_ctx > 0: YaRN as ggml_rope_ext applies it (ext_factor 1; beta_fast and beta_slow
    // llama.cpp's defaults 32 and 1 unless the file sets them): pair i turns by a mix of the scaled
    // and the unscaled angle, unscaled for the fast pairs below ggml's correction range, scaled past
    // it, a linear ramp in between.
    void init(int32_t n_rot, float freq_base, int32_t max_pos, float freq_scale = 1.0f,
              const std::vector<float> &freq_factors = {}, float attn_factor = 1.0f, int32_t yarn_orig_ctx = 0,
              float yarn_beta_fast = 32.0f, float yarn_beta_slow = 1.0f);
    static uint64_t bytes_for(int32_t n_rot, int32_t max_pos) {
        return static_cast<uint64_t>(max_pos) * static_cast<uint64_t>(n_rot) * sizeof(float) +
               static_cast<uint64_t>(n_rot / 2) * sizeof(double);
    }
    uint64_t bytes() const { return bytes_for(n_rot_, max_pos_); }
    int32_t max_pos() const { return max_pos_; }

    // Make positions [0, upto) available. Not thread-safe: call before parallel work.
    void ensure(int32_t upto);

    // n_rot/2 cosines followed by n_rot/2 sines for position pos (< filled positions).
    const float *at(int32_t pos) const { return table_.get() + static_cast<int64_t>(pos) * n_rot_; }

private:
    int32_t n_rot_ = 0;
    int32_t max_pos_ = 0;
    int32_t filled_ = 0;
    double freq_base_ = 10000.0;
    double attn_factor_ = 1.0;
    std::unique_ptr<float[]> table_;
    std::vector<double> inv_freq_;
};

// y = R(pos) x for one head of d values; cs = RopeTable::at(pos). x and y may alias.
void rope_apply(const float *cs, int32_t n_rot, int32_t d, const float *x, float *y, bool neox);

}  // namespace lh::attn
