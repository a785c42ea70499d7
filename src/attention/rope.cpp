#include "attention/rope.h"

#include <algorithm>
#include <cmath>

namespace lh::attn {

namespace {

// ggml_rope_yarn_corr_dims: the first and last pair index (times 2, as ggml counts dims) of the
// ramp between extrapolated and interpolated angles, in float as ggml computes them.
void yarn_corr_dims(int32_t n_dims, int32_t n_ctx_orig, float freq_base, float beta_fast, float beta_slow,
                    float dims[2]) {
    constexpr float kPi = 3.14159265358979323846f;
    auto corr_dim = [&](float n_rot) {
        return static_cast<float>(n_dims) * std::log(static_cast<float>(n_ctx_orig) / (n_rot * 2 * kPi)) /
               (2 * std::log(freq_base));
    };
    dims[0] = std::max(0.0f, std::floor(corr_dim(beta_fast)));
    dims[1] = std::min(static_cast<float>(n_dims - 1), std::ceil(corr_dim(beta_slow)));
}

}  // namespace

void RopeTable::init(int32_t n_rot, float freq_base, int32_t max_pos, float freq_scale,
                     const std::vector<float> &freq_factors, float attn_factor, int32_t yarn_orig_ctx,
                     float yarn_beta_fast, float yarn_beta_slow) {
    n_rot_ = n_rot;
    attn_factor_ = static_cast<double>(attn_factor);
    max_pos_ = max_pos;
    filled_ = 0;
    freq_base_ = static_cast<double>(freq_base);
    // Left uninitialised on purpose: pages are only touched as positions are filled.
    table_.reset(new float[static_cast<size_t>(max_pos) * static_cast<size_t>(n_rot)]);
    inv_freq_.resize(static_cast<size_t>(n_rot / 2));
    float corr[2] = {0.0f, 0.0f};
    if (yarn_orig_ctx > 0) yarn_corr_dims(n_rot, yarn_orig_ctx, freq_base, yarn_beta_fast, yarn_beta_slow, corr);
    for (int32_t i = 0; i < n_rot / 2; ++i) {
        const double factor = freq_factors.empty() ? 1.0 : static_cast<double>(freq_factors[i]);
        double scale = static_cast<double>(freq_scale);
        if (yarn_orig_ctx > 0) {  // ggml's rope_yarn_ramp with ext_factor 1 (i = i0 / 2)
            const float y = (static_cast<float>(i) - corr[0]) / std::max(0.001f, corr[1] - corr[0]);
            const double mix = 1.0 - std::min(1.0f, std::max(0.0f, y));
            scale = scale * (1.0 - mix) + mix;
        }
        inv_freq_[i] = scale * std::pow(freq_base_, -2.0 * i / n_rot) / factor;
    }
}

void RopeTable::ensure(int32_t upto) {
    if (upto > max_pos_) upto = max_pos_;
    const int32_t half = n_rot_ / 2;
    for (int32_t p = filled_; p < upto; ++p) {
        float *row = table_.get() + static_cast<int64_t>(p) * n_rot_;
        for (int32_t i = 0; i < half; ++i) {
            const double angle = static_cast<double>(p) * inv_freq_[i];
            row[i] = static_cast<float>(std::cos(angle) * attn_factor_);
            row[half + i] = static_cast<float>(std::sin(angle) * attn_factor_);
        }
    }
    if (upto > filled_) filled_ = upto;
}

void rope_apply(const float *cs, int32_t n_rot, int32_t d, const float *x, float *y, bool neox) {
    const int32_t half = n_rot / 2;
    const float *sn = cs + half;
    if (neox) {
        for (int32_t i = 0; i < half; ++i) {
            const float x0 = x[i], x1 = x[i + half];
            y[i] = x0 * cs[i] - x1 * sn[i];
            y[i + half] = x0 * sn[i] + x1 * cs[i];
        }
    } else {
        for (int32_t i = 0; i < half; ++i) {
            const float x0 = x[2 * i], x1 = x[2 * i + 1];
            y[2 * i] = x0 * cs[i] - x1 * sn[i];
            y[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
        }
    }
    if (y != x)
        for (int32_t j = n_rot; j < d; ++j) y[j] = x[j];
}

}  // namespace lh::attn
