// longheads_facade.hpp — a thin, header-only C++ RAII facade over the C API (longheads.h).
//
// This is what SWIG wraps for the Python, Java and C# bindings: it never touches the library's
// internal classes, only the stable C ABI. It adds three things the languages need:
//   - ownership: every handle sits in a std::shared_ptr whose deleter also holds the parent's
//     handle, so a child (context, generation) keeps its parent alive whatever the garbage
//     collector does, and the C rule "a model outlives its contexts" holds by construction;
//   - exceptions: a failed status becomes longheads::Error (status + lh_last_error() message),
//     which each language's %exception turns into its own exception type;
//   - value types: std::vector / std::string results instead of caller buffers.
// Conventions: std::string is used as a *byte string* (UTF-8 text, raw token bytes, file
// paths); each language's typemaps carry it as its byte type and the sugar decodes it.
// close() releases this object's reference and is idempotent; any other call on a closed
// object throws Error(LH_ERROR_INVALID_ARGUMENT, "... is closed").
#ifndef LONGHEADS_FACADE_HPP
#define LONGHEADS_FACADE_HPP

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "longheads/longheads.h"

namespace longheads {

// A failed C call: the lh_status and the thread's lh_last_error() message.
class Error : public std::runtime_error {
public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

namespace detail {

inline void check(lh_status status) {
    if (status == LH_OK) return;
    const char *message = lh_last_error();
    throw Error(static_cast<int>(status),
                (message && *message) ? std::string(message) : std::string(lh_status_string(status)));
}

[[noreturn]] inline void closed(const char *what) {
    throw Error(LH_ERROR_INVALID_ARGUMENT, std::string(what) + " is closed");
}

[[noreturn]] inline void invalid(const std::string &message) { throw Error(LH_ERROR_INVALID_ARGUMENT, message); }

// Calls fn(buf, capacity, &len) with a growing std::string until the bytes fit.
template <typename Fn>
std::string read_bytes(Fn fn, size_t guess) {
    std::string out(guess > 0 ? guess : 16, '\0');
    size_t len = 0;
    lh_status st = fn(&out[0], out.size(), &len);
    if (st == LH_ERROR_BUFFER_TOO_SMALL) {
        out.assign(len + 1, '\0');
        st = fn(&out[0], out.size(), &len);
    }
    check(st);
    out.resize(len);
    return out;
}

}  // namespace detail

/* ---------------------------------------------------------------------------------------- */
/* Parameters: plain structs whose defaults come from the C lh_*_params_init functions.      */
/* Enums travel as int32_t (each language wraps them in its own enum type).                 */
/* ---------------------------------------------------------------------------------------- */

struct ModelParams {
    int32_t precision;  // lh_precision
    int32_t n_threads;
    ModelParams() {
        lh_model_params p;
        lh_model_params_init(&p);
        precision = static_cast<int32_t>(p.precision);
        n_threads = p.n_threads;
    }
#ifndef SWIG
    lh_model_params to_c() const {
        lh_model_params p;
        lh_model_params_init(&p);
        p.precision = static_cast<lh_precision>(precision);
        p.n_threads = n_threads;
        return p;
    }
#endif
};

struct ContextParams {
    int32_t n_ctx;
    int32_t n_threads;
    int32_t n_batch;
    int32_t attention;  // lh_attention
    int32_t chunk_size;
    int32_t attn_len;
    int32_t begin_len;
    int32_t n_sinks;
    bool allow_attn_len_over_trained;
    int32_t prefill_mode;  // lh_prefill_mode
    int32_t kv_type;       // lh_kv_type
    int64_t memory_budget_bytes;
    ContextParams() {
        lh_context_params p;
        lh_context_params_init(&p);
        from_c(p);
    }
#ifndef SWIG
    void from_c(const lh_context_params &p) {
        n_ctx = p.n_ctx;
        n_threads = p.n_threads;
        n_batch = p.n_batch;
        attention = static_cast<int32_t>(p.attention);
        chunk_size = p.chunk_size;
        attn_len = p.attn_len;
        begin_len = p.begin_len;
        n_sinks = p.n_sinks;
        allow_attn_len_over_trained = p.allow_attn_len_over_trained != 0;
        prefill_mode = static_cast<int32_t>(p.prefill_mode);
        kv_type = static_cast<int32_t>(p.kv_type);
        memory_budget_bytes = static_cast<int64_t>(p.memory_budget_bytes);
    }
#endif
#ifndef SWIG
    lh_context_params to_c() const {
        if (memory_budget_bytes < 0) detail::invalid("memory_budget_bytes must not be negative");
        lh_context_params p;
        lh_context_params_init(&p);
        p.n_ctx = n_ctx;
        p.n_threads = n_threads;
        p.n_batch = n_batch;
        p.attention = static_cast<lh_attention>(attention);
        p.chunk_size = chunk_size;
        p.attn_len = attn_len;
        p.begin_len = begin_len;
        p.n_sinks = n_sinks;
        p.allow_attn_len_over_trained = allow_attn_len_over_trained ? 1 : 0;
        p.prefill_mode = static_cast<lh_prefill_mode>(prefill_mode);
        p.kv_type = static_cast<lh_kv_type>(kv_type);
        p.memory_budget_bytes = static_cast<uint64_t>(memory_budget_bytes);
        return p;
    }
#endif
};

struct SamplerParams {
    float temperature;
    int32_t top_k;
    float top_p;
    float min_p;
    float repeat_penalty;
    int32_t repeat_last_n;
    int64_t seed;  // carried as the bit pattern of the C uint64_t
    SamplerParams() {
        lh_sampler_params p;
        lh_sampler_params_init(&p);
        from_c(p);
    }
#ifndef SWIG
    void from_c(const lh_sampler_params &p) {
        temperature = p.temperature;
        top_k = p.top_k;
        top_p = p.top_p;
        min_p = p.min_p;
        repeat_penalty = p.repeat_penalty;
        repeat_last_n = p.repeat_last_n;
        seed = static_cast<int64_t>(p.seed);
    }
#endif
#ifndef SWIG
    lh_sampler_params to_c() const {
        lh_sampler_params p;
        lh_sampler_params_init(&p);
        p.temperature = temperature;
        p.top_k = top_k;
        p.top_p = top_p;
        p.min_p = min_p;
        p.repeat_penalty = repeat_penalty;
        p.repeat_last_n = repeat_last_n;
        p.seed = static_cast<uint64_t>(seed);
        return p;
    }
#endif
};

struct GenerateParams {
    int32_t max_tokens;
    SamplerParams sampling;
    bool add_bos;
    bool stop_at_eog;
    GenerateParams() {
        lh_generate_params p;
        lh_generate_params_init(&p);
        max_tokens = p.max_tokens;
        sampling.from_c(p.sampling);
        add_bos = p.add_bos != 0;
        stop_at_eog = p.stop_at_eog != 0;
    }
    // Stop strings (UTF-8 bytes); generation ends before the first occurrence of any.
    void add_stop(const std::string &stop) {
        if (stop.empty()) detail::invalid("a stop string is empty");
        if (stop.find('\0') != std::string::npos) detail::invalid("a stop string contains a NUL byte");
        stop_.push_back(stop);
    }
    void clear_stop() { stop_.clear(); }
    int32_t stop_count() const { return static_cast<int32_t>(stop_.size()); }

    // The C struct borrows `pointers`, which borrows this object's strings.
#ifndef SWIG
    lh_generate_params to_c(std::vector<const char *> &pointers) const {
        lh_generate_params p;
        lh_generate_params_init(&p);
        p.max_tokens = max_tokens;
        p.sampling = sampling.to_c();
        pointers.clear();
        for (const std::string &s : stop_) pointers.push_back(s.c_str());
        p.stop = pointers.empty() ? nullptr : pointers.data();
        p.n_stop = pointers.size();
        p.add_bos = add_bos ? 1 : 0;
        p.stop_at_eog = stop_at_eog ? 1 : 0;
        return p;
    }
#endif

private:
    std::vector<std::string> stop_;
};

// Numeric model hyper-parameters (strings come from Model::architecture()/name()).
struct ModelInfo {
    int32_t n_vocab = 0;
    int32_t n_ctx_train = 0;
    int32_t n_embd = 0;
    int32_t n_layer = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t n_ff = 0;
    int32_t n_rot = 0;
    int32_t head_dim = 0;
    float rope_freq_base = 0.0f;
    float rms_norm_eps = 0.0f;
    int32_t bos_token = -1;
    int32_t eos_token = -1;
    bool add_bos = false;
    int64_t n_params = 0;
    int64_t file_bytes = 0;
    int64_t weight_bytes = 0;
    int32_t precision = 0;
};

/* ---------------------------------------------------------------------------------------- */
/* Objects                                                                                   */
/* ---------------------------------------------------------------------------------------- */

class Context;
class Sampler;
class Generation;

// A loaded GGUF model: immutable, shareable between threads.
class Model {
public:
    explicit Model(const std::string &path, const ModelParams &params = ModelParams()) {
        if (path.find('\0') != std::string::npos) detail::invalid("the model path contains a NUL byte");
        lh_model_params p = params.to_c();
        lh_model *raw = nullptr;
        detail::check(lh_model_load(path.c_str(), &p, &raw));
        model_.reset(raw, [](lh_model *m) { lh_model_free(m); });
        lh_model_info info;
        std::memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        detail::check(lh_model_get_info(raw, &info));
        info_ = info;
    }

    // Drops this object's reference; the model is freed once no context uses it. Idempotent.
    void close() { model_.reset(); }
    bool closed() const { return !model_; }

    ModelInfo info() const {
        get();
        ModelInfo i;
        i.n_vocab = info_.n_vocab;
        i.n_ctx_train = info_.n_ctx_train;
        i.n_embd = info_.n_embd;
        i.n_layer = info_.n_layer;
        i.n_head = info_.n_head;
        i.n_head_kv = info_.n_head_kv;
        i.n_ff = info_.n_ff;
        i.n_rot = info_.n_rot;
        i.head_dim = info_.head_dim;
        i.rope_freq_base = info_.rope_freq_base;
        i.rms_norm_eps = info_.rms_norm_eps;
        i.bos_token = info_.bos_token;
        i.eos_token = info_.eos_token;
        i.add_bos = info_.add_bos != 0;
        i.n_params = static_cast<int64_t>(info_.n_params);
        i.file_bytes = static_cast<int64_t>(info_.file_bytes);
        i.weight_bytes = static_cast<int64_t>(info_.weight_bytes);
        i.precision = static_cast<int32_t>(info_.precision);
        return i;
    }
    std::string architecture() const {
        get();
        return std::string(info_.architecture, strnlen(info_.architecture, sizeof info_.architecture));
    }
    std::string name() const {
        get();
        return std::string(info_.name, strnlen(info_.name, sizeof info_.name));
    }
    int32_t n_vocab() const {
        get();
        return info_.n_vocab;
    }

    std::vector<int32_t> tokenize(const std::string &text, bool add_bos = true, bool parse_special = false) const {
        lh_model *m = get();
        std::vector<int32_t> ids(text.size() + 2);
        size_t n = 0;
        lh_status st = lh_tokenize(m, text.data(), text.size(), add_bos, parse_special, ids.data(), ids.size(), &n);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            ids.resize(n);
            st = lh_tokenize(m, text.data(), text.size(), add_bos, parse_special, ids.data(), ids.size(), &n);
        }
        detail::check(st);
        ids.resize(n);
        return ids;
    }

    // flags: lh_detok_flags bits.
    std::string detokenize(const std::vector<int32_t> &tokens, int32_t flags = 0) const {
        lh_model *m = get();
        return detail::read_bytes(
            [&](char *buf, size_t cap, size_t *len) {
                return lh_detokenize(m, tokens.data(), tokens.size(), flags, buf, cap, len);
            },
            tokens.size() * 8 + 16);
    }

    // The raw bytes of one token's piece.
    std::string token_piece(int32_t token) const {
        lh_model *m = get();
        return detail::read_bytes(
            [&](char *buf, size_t cap, size_t *len) { return lh_token_piece(m, token, buf, cap, len); }, 32);
    }

    bool token_is_eog(int32_t token) const { return lh_token_is_eog(get(), token) != 0; }

    // A metadata value rendered as text.
    std::string meta(const std::string &key) const {
        lh_model *m = get();
        if (key.find('\0') != std::string::npos) detail::invalid("the key contains a NUL byte");
        std::string out(256, '\0');
        size_t len = 0;
        lh_status st = lh_model_meta_get(m, key.c_str(), &out[0], out.size(), &len);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            out.assign(len + 1, '\0');
            st = lh_model_meta_get(m, key.c_str(), &out[0], out.size(), &len);
        }
        detail::check(st);
        out.resize(len);
        return out;
    }

    int32_t tensor_count() const {
        int32_t n = 0;
        detail::check(lh_model_tensor_count(get(), &n));
        return n;
    }
    std::string tensor_name(int32_t index) const { return tensor(index).name; }
    std::string tensor_type(int32_t index) const { return tensor(index).type_name; }
    std::vector<int64_t> tensor_dims(int32_t index) const {
        lh_tensor_info t = tensor(index);
        int32_t n = t.n_dims < 0 ? 0 : (t.n_dims > 4 ? 4 : t.n_dims);
        return std::vector<int64_t>(t.dims, t.dims + n);
    }

    // Bytes the KV cache of a context with these params would take at n_tokens tokens.
    int64_t estimate_kv_bytes(const ContextParams &params, int64_t n_tokens) const {
        lh_context_params p = params.to_c();
        uint64_t bytes = 0;
        detail::check(lh_context_estimate_kv_bytes(get(), &p, n_tokens, &bytes));
        return static_cast<int64_t>(bytes);
    }

#ifndef SWIG
    const std::shared_ptr<lh_model> &handle() const {
        get();
        return model_;
    }
#endif

private:
    lh_model *get() const {
        if (!model_) detail::closed("model");
        return model_.get();
    }
    lh_tensor_info tensor(int32_t index) const {
        lh_tensor_info t;
        std::memset(&t, 0, sizeof t);
        detail::check(lh_model_tensor_get(get(), index, &t));
        if (!t.name) t.name = "";
        if (!t.type_name) t.type_name = "";
        return t;
    }

    std::shared_ptr<lh_model> model_;
    lh_model_info info_{};
};

// One step of the generation pull loop, as the C API returns it.
class Generation {
public:
    // Advances one step. Returns false once the generation has ended (then piece() is empty,
    // token() is -1 and stop_reason() says why).
    bool next() {
        lh_generation *g = get();
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        detail::check(lh_generation_next(g, &piece, &len, &token, &done));
        piece_.assign(piece ? piece : "", piece ? len : 0);
        token_ = token;
        done_ = done != 0;
        return !done_;
    }
    std::string piece() const { return piece_; }
    int32_t token() const { return token_; }
    bool done() const { return done_; }
    int32_t stop_reason() const { return static_cast<int32_t>(lh_generation_stop_reason(get())); }
    // Ask the generation's context to stop soon (any thread).
    void cancel() {
        if (ctx_) lh_context_cancel(ctx_.get());
    }
    void close() {
        gen_.reset();
        ctx_.reset();
    }
    bool closed() const { return !gen_; }

#ifndef SWIG
    Generation(std::shared_ptr<lh_context> ctx, lh_generation *raw) : ctx_(std::move(ctx)) {
        std::shared_ptr<lh_context> keep = ctx_;
        gen_.reset(raw, [keep](lh_generation *g) { lh_generation_free(g); });
    }
#endif

private:
    lh_generation *get() const {
        if (!gen_) detail::closed("generation");
        return gen_.get();
    }
    std::shared_ptr<lh_context> ctx_;
    std::shared_ptr<lh_generation> gen_;
    std::string piece_;
    int32_t token_ = -1;
    bool done_ = false;
};

// A KV cache plus the attention configuration; one thread at a time.
class Context {
public:
    Context(const Model &model, const ContextParams &params = ContextParams()) {
        std::shared_ptr<lh_model> m = model.handle();
        lh_context_params p = params.to_c();
        lh_context *raw = nullptr;
        detail::check(lh_context_create(m.get(), &p, &raw));
        // The deleter holds the model: it is freed only after this context.
        ctx_.reset(raw, [m](lh_context *c) { lh_context_free(c); });
        n_vocab_ = model.n_vocab();
    }

    void close() { ctx_.reset(); }
    bool closed() const { return !ctx_; }

    ContextParams params() const {
        lh_context_params p;
        lh_context_params_init(&p);
        detail::check(lh_context_get_params(get(), &p));
        ContextParams out;
        out.from_c(p);
        return out;
    }
    int32_t n_ctx() const { return params().n_ctx; }
    int32_t n_vocab() const {
        get();
        return n_vocab_;
    }

    void reset() { detail::check(lh_context_reset(get())); }
    int32_t n_past() const {
        int32_t n = 0;
        detail::check(lh_context_n_past(get(), &n));
        return n;
    }

    void eval(const std::vector<int32_t> &tokens, bool all_logits = false) {
        detail::check(lh_context_eval(get(), tokens.data(), tokens.size(), all_logits ? 1 : 0));
    }

    // Logits (n_vocab floats) of token `index` of the last eval (-1 = its last token).
    std::vector<float> logits(int32_t index = -1) const {
        std::vector<float> out(static_cast<size_t>(n_vocab_ > 0 ? n_vocab_ : 0));
        detail::check(lh_context_copy_logits(get(), index, out.data(), out.size()));
        return out;
    }

    // Safe from any thread while another runs eval/generate on this context.
    void cancel() {
        std::shared_ptr<lh_context> c = ctx_;
        if (c) lh_context_cancel(c.get());
    }

    // A whole generation (the prompt is appended to what the context holds).
    std::string generate(const std::string &prompt, const GenerateParams &params = GenerateParams()) {
        lh_context *c = get();
        std::vector<const char *> stops;
        lh_generate_params p = params.to_c(stops);
        std::string text;
        detail::check(lh_generate(c, prompt.data(), prompt.size(), &p, &Context::append, &text, nullptr, 0, nullptr));
        return text;
    }

    // Starts a pull-loop generation; the returned object keeps this context alive.
    Generation *start(const std::string &prompt, const GenerateParams &params = GenerateParams()) {
        lh_context *c = get();
        std::vector<const char *> stops;
        lh_generate_params p = params.to_c(stops);
        lh_generation *raw = nullptr;
        detail::check(lh_generation_start(c, prompt.data(), prompt.size(), &p, &raw));
        return new Generation(ctx_, raw);
    }

#ifndef SWIG
    lh_context *raw() const { return get(); }
#endif

private:
    static int32_t append(const char *piece, size_t len, int32_t, void *user_data) {
        static_cast<std::string *>(user_data)->append(piece, len);
        return 0;
    }
    lh_context *get() const {
        if (!ctx_) detail::closed("context");
        return ctx_.get();
    }
    std::shared_ptr<lh_context> ctx_;
    int32_t n_vocab_ = 0;
};

// Chooses tokens from logits (temperature, top-k, top-p, min-p, repetition penalty).
class Sampler {
public:
    explicit Sampler(const SamplerParams &params = SamplerParams()) {
        lh_sampler_params p = params.to_c();
        lh_sampler *raw = nullptr;
        detail::check(lh_sampler_create(&p, &raw));
        sampler_.reset(raw, [](lh_sampler *s) { lh_sampler_free(s); });
    }
    void close() { sampler_.reset(); }
    bool closed() const { return !sampler_; }

    int32_t sample(const std::vector<float> &logits) {
        lh_sampler *s = get();
        if (logits.empty()) detail::invalid("logits are empty");
        int32_t token = -1;
        detail::check(lh_sampler_sample(s, logits.data(), static_cast<int32_t>(logits.size()), &token));
        return token;
    }
    // Samples from the context's logits of token `index` of its last eval, without copying them.
    int32_t sample_context(const Context &context, int32_t index = -1) {
        lh_sampler *s = get();
        const float *logits = nullptr;
        detail::check(lh_context_logits(context.raw(), index, &logits));
        int32_t token = -1;
        detail::check(lh_sampler_sample(s, logits, context.n_vocab(), &token));
        return token;
    }
    void accept(const std::vector<int32_t> &tokens) {
        detail::check(lh_sampler_accept(get(), tokens.data(), tokens.size()));
    }

private:
    lh_sampler *get() const {
        if (!sampler_) detail::closed("sampler");
        return sampler_.get();
    }
    std::shared_ptr<lh_sampler> sampler_;
};

inline std::string version() { return lh_version(); }
inline std::string status_string(int32_t status) { return lh_status_string(static_cast<lh_status>(status)); }

}  // namespace longheads

#endif  // LONGHEADS_FACADE_HPP
