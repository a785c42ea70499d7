// A context as state: saving and loading it (runtime/context_file.h), forking it, and cutting it
// back to a prefix for reuse. The attention's own components list their bytes
// (Attention::state_regions); this file adds the token history and the last logits around them.
#include <algorithm>
#include <cstring>
#include <string>

#include "attention/attention.h"
#include "common/enum_names.h"
#include "common/error.h"
#include "model/model.h"
#include "runtime/context.h"
#include "runtime/context_file.h"
#include "runtime/model_fingerprint.h"

namespace lh {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// The canonical name of an enum value, or its number when it is not one.
template <typename Enum> std::string name_of(Enum v) {
    const char *n = enum_name(enum_names(v), static_cast<int32_t>(v));
    return n ? n : str(static_cast<int32_t>(v));
}

// Payload order: tokens, the last logits, the attention state.
kv::StateRegions payload_of(const std::vector<int32_t> &tokens, const float *logits, int32_t n_vocab,
                            const Attention &attn, int32_t n_past) {
    kv::StateRegions out;
    out.push_back({reinterpret_cast<unsigned char *>(const_cast<int32_t *>(tokens.data())),
                   tokens.size() * sizeof(int32_t)});
    if (logits)
        out.push_back({reinterpret_cast<unsigned char *>(const_cast<float *>(logits)),
                       static_cast<uint64_t>(n_vocab) * sizeof(float)});
    kv::StateRegions state = attn.state_regions(n_past);
    out.insert(out.end(), state.begin(), state.end());
    return out;
}

ContextFileHeader header_of(const Model &model, const ContextOptions &o) {
    const HParams &hp = model.hparams();
    ContextFileHeader h;
    h.model_fingerprint = model_fingerprint(model);
    h.precision = model.precision();
    h.n_vocab = hp.n_vocab;
    h.n_layer = hp.n_layer;
    h.n_head = hp.n_head;
    h.n_head_kv = hp.n_head_kv;
    h.head_dim = hp.head_dim;
    h.attention = o.attention;
    h.chunk_size = o.chunk_size;
    h.attn_len = o.attn_len;
    h.begin_len = o.begin_len;
    h.n_sinks = o.n_sinks;
    h.prefill_mode = o.prefill_mode;
    h.kv_type = o.kv_type;
    h.chunk_score = o.chunk_score;
    h.local_chunks = o.local_chunks;
    h.allow_attn_len_over_trained = o.allow_attn_len_over_trained ? 1 : 0;
    h.n_ctx = o.n_ctx;
    h.n_batch = o.n_batch;
    return h;
}

// The options the file was saved with (enum fields checked when the context resolves them).
ContextOptions options_in(const ContextFileHeader &h) {
    ContextOptions o;
    o.n_ctx = h.n_ctx;
    o.n_batch = h.n_batch;
    o.attention = static_cast<lh_attention>(h.attention);
    o.chunk_size = h.chunk_size;
    o.attn_len = h.attn_len;
    o.begin_len = h.begin_len;
    o.n_sinks = h.n_sinks;
    o.allow_attn_len_over_trained = h.allow_attn_len_over_trained != 0;
    o.prefill_mode = static_cast<lh_prefill_mode>(h.prefill_mode);
    o.kv_type = static_cast<lh_kv_type>(h.kv_type);
    o.chunk_score = static_cast<lh_chunk_score>(h.chunk_score);
    o.local_chunks = h.local_chunks;
    return o;
}

// The first attention parameter in which `want` (resolved) differs from the file, or "".
std::string attention_difference(const ContextOptions &want, const ContextFileHeader &h) {
    auto differs = [](const char *name, const std::string &saved, const std::string &asked) {
        return std::string(name) + " " + asked + " (saved with " + saved + ")";
    };
    if (want.attention != h.attention)
        return differs("attention", name_of(static_cast<lh_attention>(h.attention)), name_of(want.attention));
    if (want.kv_type != h.kv_type)
        return differs("kv_type", name_of(static_cast<lh_kv_type>(h.kv_type)), name_of(want.kv_type));
    if (want.attention == LH_ATTENTION_WINDOW) {
        if (want.attn_len != h.attn_len) return differs("attn_len", str(h.attn_len), str(want.attn_len));
        if (want.n_sinks != h.n_sinks) return differs("n_sinks", str(h.n_sinks), str(want.n_sinks));
    }
    if (want.attention == LH_ATTENTION_LONGHEADS) {
        if (want.chunk_size != h.chunk_size) return differs("chunk_size", str(h.chunk_size), str(want.chunk_size));
        if (want.attn_len != h.attn_len) return differs("attn_len", str(h.attn_len), str(want.attn_len));
        if (want.begin_len != h.begin_len) return differs("begin_len", str(h.begin_len), str(want.begin_len));
        if (want.prefill_mode != h.prefill_mode)
            return differs("prefill_mode", name_of(static_cast<lh_prefill_mode>(h.prefill_mode)),
                           name_of(want.prefill_mode));
        if (want.chunk_score != h.chunk_score)
            return differs("chunk_score", name_of(static_cast<lh_chunk_score>(h.chunk_score)),
                           name_of(want.chunk_score));
        if (want.local_chunks != h.local_chunks)
            return differs("local_chunks", str(h.local_chunks), str(want.local_chunks));
    }
    return "";
}

// Refuses a file made with another model, precision or geometry.
void check_model(const Model &model, const ContextFileHeader &h, const std::string &path) {
    const HParams &hp = model.hparams();
    const std::string file = "context file '" + path + "'";
    if (h.n_vocab != hp.n_vocab || h.n_layer != hp.n_layer || h.n_head != hp.n_head || h.n_head_kv != hp.n_head_kv ||
        h.head_dim != hp.head_dim)
        fail(LH_ERROR_INVALID_ARGUMENT,
             file + " was saved with another model (" + str(h.n_layer) + " layers, " + str(h.n_head) + "/" +
                 str(h.n_head_kv) + " heads of " + str(h.head_dim) + ", vocabulary " + str(h.n_vocab) +
                 "; this model: " + str(hp.n_layer) + " layers, " + str(hp.n_head) + "/" + str(hp.n_head_kv) +
                 " heads of " + str(hp.head_dim) + ", vocabulary " + str(hp.n_vocab) + ")");
    if (h.model_fingerprint != model_fingerprint(model))
        fail(LH_ERROR_INVALID_ARGUMENT, file + " was saved with another model of the same shape (its tensors differ)");
    if (h.precision != model.precision())
        fail(LH_ERROR_INVALID_ARGUMENT, file + " was saved with the model loaded in precision " +
                                            name_of(static_cast<lh_precision>(h.precision)) +
                                            "; this model is loaded in " + name_of(model.precision()));
}

}  // namespace

void Context::save(const std::string &path) const {
    ContextFileHeader h = header_of(model_, opts_);
    h.n_past = n_past_;
    h.n_logits = n_logits_ > 0 ? 1 : 0;
    const float *last = n_logits_ > 0 ? logits(-1) : nullptr;
    write_context_file(path, h, payload_of(tokens_, last, model_.hparams().n_vocab, *attn_, n_past_));
}

std::unique_ptr<Context> Context::load(const Model &model, const std::string &path, const ContextOptions *opts) {
    std::unique_ptr<ContextFile> file = ContextFile::open(path);
    const ContextFileHeader &h = file->header();
    check_model(model, h, path);
    ContextOptions want = options_in(h);
    if (opts) {
        want = *opts;
        if (want.n_ctx == 0) want.n_ctx = h.n_ctx;
    }
    want = resolve_context_options(model.hparams(), want);  // also checks the saved enum values
    const std::string diff = attention_difference(want, h);
    if (!diff.empty())
        fail(LH_ERROR_INVALID_ARGUMENT, "context file '" + path + "' was saved with other attention parameters: " +
                                            "asked for " + diff);
    // LongRoPE rotates by other factors in contexts longer than the original window: the saved keys
    // were rotated by the factors of the saved n_ctx.
    if (model.hparams().rope_factors_for(want.n_ctx) != model.hparams().rope_factors_for(h.n_ctx))
        fail(LH_ERROR_INVALID_ARGUMENT, "context file '" + path + "' was saved with n_ctx " + str(h.n_ctx) +
                                            ", which selects the model's other LongRoPE factors than n_ctx " +
                                            str(want.n_ctx) + " (original window " +
                                            str(model.hparams().n_ctx_orig) + " tokens)");
    if (want.n_ctx < h.n_past)
        fail(LH_ERROR_CONTEXT_FULL, "context file '" + path + "' holds " + str(h.n_past) +
                                        " tokens, more than n_ctx " + str(want.n_ctx));

    std::unique_ptr<Context> ctx(new Context(model, want));
    const int32_t n_vocab = model.hparams().n_vocab;
    ctx->tokens_.resize(static_cast<size_t>(h.n_past));
    if (h.n_logits) ctx->logits_.assign(static_cast<size_t>(n_vocab), 0.0f);
    ctx->attn_->restore(h.n_past);  // so that its state lists n_past tokens, filled below
    const kv::StateRegions fill =
        payload_of(ctx->tokens_, h.n_logits ? ctx->logits_.data() : nullptr, n_vocab, *ctx->attn_, h.n_past);
    uint64_t expected = 0;
    for (const kv::StateRegion &r : fill) expected += r.bytes;
    if (expected != h.payload_bytes)
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path + "' is damaged: it has " +
                                      str(static_cast<int64_t>(h.payload_bytes)) + " bytes of state where " +
                                      str(h.n_past) + " tokens need " + str(static_cast<int64_t>(expected)));
    file->verify_payload();
    const unsigned char *src = file->payload();
    for (const kv::StateRegion &r : fill) {
        std::memcpy(r.data, src, static_cast<size_t>(r.bytes));
        src += r.bytes;
    }
    if (h.n_past > 0) ctx->check_tokens(ctx->tokens_.data(), ctx->tokens_.size());
    ctx->n_past_ = h.n_past;
    ctx->n_logits_ = h.n_logits;
    return ctx;
}

ContextOptions Context::saved_options(const std::string &path) {
    return options_in(ContextFile::open(path)->header());
}

std::unique_ptr<Context> Context::fork() const {
    std::unique_ptr<Context> copy(new Context(model_, opts_));
    copy->attn_->restore(n_past_);
    const kv::StateRegions from = attn_->state_regions(n_past_), to = copy->attn_->state_regions(n_past_);
    require(from.size() == to.size(), LH_ERROR_INTERNAL, "fork: the two contexts list different state");
    for (size_t i = 0; i < from.size(); ++i) {
        require(from[i].bytes == to[i].bytes, LH_ERROR_INTERNAL, "fork: the two contexts list different state");
        std::memcpy(to[i].data, from[i].data, static_cast<size_t>(from[i].bytes));
    }
    copy->tokens_ = tokens_;
    copy->logits_ = logits_;
    copy->n_past_ = n_past_;
    copy->n_logits_ = n_logits_;
    return copy;
}

int32_t Context::cut_to(int32_t n_keep) {
    const int32_t kept = attn_->truncate(n_keep);
    n_past_ = kept;
    tokens_.resize(static_cast<size_t>(kept));
    n_logits_ = 0;
    return kept;
}

void Context::truncate(int32_t n_keep, const std::atomic<bool> *cancel) {
    if (n_keep < 0 || n_keep > n_past_)
        fail(LH_ERROR_INVALID_ARGUMENT, "cannot keep " + str(n_keep) + " tokens: the context holds " + str(n_past_));
    const std::vector<int32_t> keep(tokens_.begin(), tokens_.begin() + n_keep);
    const int32_t kept = cut_to(n_keep);
    if (kept < n_keep) eval(keep.data() + kept, static_cast<size_t>(n_keep - kept), false, cancel);
    n_logits_ = 0;
}

int32_t Context::eval_reuse(const int32_t *tokens, size_t n, const std::atomic<bool> *cancel) {
    check_tokens(tokens, n);
    if (n > static_cast<size_t>(opts_.n_ctx))
        fail(LH_ERROR_CONTEXT_FULL, str(static_cast<int64_t>(n)) + " tokens do not fit in a context of " +
                                        str(opts_.n_ctx));
    const size_t limit = std::min(tokens_.size(), n - 1);  // the last token is evaluated for its logits
    size_t common = 0;
    while (common < limit && tokens_[common] == tokens[common]) ++common;
    const int32_t kept = static_cast<int32_t>(common) == n_past_ ? n_past_ : cut_to(static_cast<int32_t>(common));
    eval(tokens + kept, n - static_cast<size_t>(kept), false, cancel);
    return kept;
}

}  // namespace lh
