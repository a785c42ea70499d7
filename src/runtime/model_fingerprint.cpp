#include "runtime/model_fingerprint.h"

#include <algorithm>

#include "common/hash64.h"
#include "gguf/gguf_file.h"
#include "model/model.h"

namespace lh {

namespace {
// Bytes of each tensor's data hashed: enough to tell fine-tunes of one shape apart, cheap
// enough to compute on every save and load.
constexpr uint64_t kSampleBytes = 64;
}  // namespace

uint64_t model_fingerprint(const Model &model) {
    Hash64 h;
    h.add_string("longheads model fingerprint 1");
    const HParams &hp = model.hparams();
    h.add_string(hp.architecture);
    for (int32_t v : {hp.n_ctx_train, hp.n_embd, hp.n_layer, hp.n_ff, hp.n_head, hp.n_head_kv, hp.head_dim, hp.n_rot,
                      hp.n_vocab})
        h.add_i32(v);
    h.add_f32(hp.rope_freq_base);
    h.add_f32(hp.rope_freq_scale);
    h.add_i32(hp.rope_neox ? 1 : 0);
    h.add_u64(hp.rope_freq_factors.size());
    for (float f : hp.rope_freq_factors) h.add_f32(f);
    h.add_f32(hp.rms_norm_eps);
    // Added later: hashed only when a file has them, so other files keep their fingerprints.
    if (!hp.rope_factors_long.empty() || !hp.rope_factors_short.empty() || hp.rope_attn_factor != 1.0f) {
        h.add_string("longrope");
        for (const std::vector<float> *v : {&hp.rope_factors_long, &hp.rope_factors_short}) {
            h.add_u64(v->size());
            for (float f : *v) h.add_f32(f);
        }
        h.add_f32(hp.rope_attn_factor);
        h.add_i32(hp.n_ctx_orig);
    }
    if (hp.rope_yarn) {
        h.add_string("yarn");
        h.add_i32(hp.n_ctx_orig);
    }
    if (hp.architecture == "mistral3")
        for (float v : {hp.yarn_beta_fast, hp.yarn_beta_slow, hp.yarn_log_mul, hp.attn_temp_scale}) h.add_f32(v);
    if (hp.architecture == "granite")
        for (float s : {hp.embedding_scale, hp.residual_scale, hp.attention_scale, hp.logit_scale}) h.add_f32(s);
    for (const GgufTensorInfo &t : model.file().tensors()) {
        h.add_string(t.name);
        h.add_u64(t.type);
        h.add_u64(t.n_dims);
        for (int64_t d : t.dims) h.add_u64(static_cast<uint64_t>(d));
        h.add_u64(t.n_bytes);
        h.update(model.file().tensor_data(t), static_cast<size_t>(std::min(t.n_bytes, kSampleBytes)));
    }
    return h.digest();
}

}  // namespace lh
