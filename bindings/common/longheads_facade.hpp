// longheads_facade.hpp — a thin, header-only C++ RAII facade over the C API (longheads.h).
//
// This is what SWIG wraps for the Python, Java and C# bindings, together with the C API's own
// parameter structs and enums (bindings/common/longheads.i wraps those directly, so each
// parameter is described once: in the C header). The facade never touches the library's
// internal classes. It adds what every language needs, once:
//   - ownership: every handle sits in a std::shared_ptr whose deleter also holds the parent's
//     handle, so a child (context, generation) keeps its parent alive whatever the garbage
//     collector does, and the C rule "a model outlives its contexts" holds by construction;
//   - exceptions: a failed status becomes longheads::Error (status + lh_last_error() message),
//     which each language's %exception turns into its own exception type;
//   - value types: std::vector / std::string results instead of caller buffers;
//   - the generation stream (Generation::next: skips empty pieces, returns the final flush,
//     records tokens, text and the stop reason) and the lazily made greedy sampler
//     (Context::sample), which the languages only adapt to their iterator protocols.
// Conventions: std::string is used as a *byte string* (UTF-8 text, raw token bytes, file
// paths); each language's typemaps carry it as its byte type and the sugar decodes it.
// close() releases this object's reference and is idempotent; any other call on a closed
// object throws Error(LH_ERROR_INVALID_ARGUMENT, "... is closed").
#ifndef LONGHEADS_FACADE_HPP
#define LONGHEADS_FACADE_HPP

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "longheads/longheads.h"
#include "longheads_enums.h"

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

// A file path for the C API: refused when it holds a NUL byte (it would name another file).
inline const char *c_path(const std::string &path) {
    if (path.find('\0') != std::string::npos) invalid("the path contains a NUL byte");
    return path.c_str();
}

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

// The owning reference of a facade object to its C handle. close() may race with a call on
// another thread (e.g. a Java/C# close() while a generation runs): every call works on its own
// copy of the shared_ptr (atomic load), so the C object is freed only when the last running
// call returns, never under it.
template <typename T>
class Handle {
public:
    template <typename Deleter>
    void reset(T *raw, Deleter deleter) {
        std::atomic_store(&ptr_, std::shared_ptr<T>(raw, deleter));
    }
    void reset() { std::atomic_store(&ptr_, std::shared_ptr<T>()); }
    void set(std::shared_ptr<T> p) { std::atomic_store(&ptr_, std::move(p)); }
    std::shared_ptr<T> load() const { return std::atomic_load(&ptr_); }
    std::shared_ptr<T> get(const char *what) const {
        std::shared_ptr<T> p = load();
        if (!p) closed(what);
        return p;
    }

private:
    std::shared_ptr<T> ptr_;
};

// The C generate params with the sampler params and stop strings it borrows.
struct GenerateCall {
    lh_generate_params params;
    lh_sampler_params sampling;
    std::vector<const char *> stop;
    GenerateCall(const lh_generate_params &p, const lh_sampler_params &s, const std::vector<std::string> &stops)
        : params(p), sampling(s) {
        for (const std::string &x : stops) {
            if (x.empty()) invalid("a stop string is empty");
            if (x.find('\0') != std::string::npos) invalid("a stop string contains a NUL byte");
            stop.push_back(x.c_str());
        }
        params.sampling = &sampling;
        params.stop = stop.empty() ? nullptr : stop.data();
        params.n_stop = stop.size();
    }
};

// The one pull loop of a text stream (a generation, a chat reply). step(&piece, &len, &token,
// &done) is lh_generation_next or lh_chat_next. next() pulls until there is text or the end:
// true when `piece` holds the next non-empty piece (valid UTF-8), possibly the final flush that
// comes with done = 1, which a loop testing done first would lose; false once the stream has
// ended and all its text was returned.
struct Pull {
    std::string piece, text;
    std::vector<int32_t> tokens;
    bool done = false;

    template <typename Step>
    bool next(Step step) {
        piece.clear();
        while (!done) {
            const char *p = nullptr;
            size_t len = 0;
            int32_t token = -1, end = 0;
            check(step(&p, &len, &token, &end));
            if (token >= 0) tokens.push_back(token);
            done = end != 0;
            if (len > 0) {
                piece.assign(p, len);
                text += piece;
                return true;
            }
        }
        return false;
    }
};

}  // namespace detail

/* ---------------------------------------------------------------------------------------- */
/* Enum names (lh_<enum>_name / lh_<enum>_from_name)                                         */
/* ---------------------------------------------------------------------------------------- */

// <short>_name(value): the canonical name ("longheads"), or NULL (None / null) if `value` is
// not a member. <short>_from_name(name): the value of a name or alias ("LongHeads",
// "per-token", "max"); Error otherwise. One pair per enum of longheads_enums.h.
#define LONGHEADS_NAME_FUNCTIONS(CTYPE, SHORT, NAME)                                      \
    inline const char *SHORT##_name(CTYPE value) { return lh_##SHORT##_name(value); }     \
    inline CTYPE SHORT##_from_name(const std::string &name) {                            \
        if (name.find('\0') != std::string::npos) detail::invalid("the name contains a NUL byte"); \
        CTYPE value{};                                                                    \
        detail::check(lh_##SHORT##_from_name(name.c_str(), &value));                     \
        return value;                                                                     \
    }
LONGHEADS_ENUMS(LONGHEADS_NAME_FUNCTIONS)
#undef LONGHEADS_NAME_FUNCTIONS

/* ---------------------------------------------------------------------------------------- */
/* Objects                                                                                   */
/* ---------------------------------------------------------------------------------------- */

class Context;
class Sampler;
class Generation;

// A conversation to format: (role, content) byte strings in order.
class ChatMessages {
public:
    void add(const std::string &role, const std::string &content) {
        if (role.find('\0') != std::string::npos || content.find('\0') != std::string::npos)
            detail::invalid("a chat message contains a NUL byte");
        roles_.push_back(role);
        contents_.push_back(content);
    }
    int32_t size() const { return static_cast<int32_t>(roles_.size()); }
    void clear() {
        roles_.clear();
        contents_.clear();
    }

#ifndef SWIG
    std::vector<lh_chat_message> to_c() const {
        std::vector<lh_chat_message> out(roles_.size());
        for (size_t i = 0; i < out.size(); ++i) out[i] = {roles_[i].c_str(), contents_[i].c_str()};
        return out;
    }
#endif

private:
    std::vector<std::string> roles_, contents_;
};

// A loaded GGUF model: immutable, shareable between threads.
class Model {
public:
    Model(const std::string &path, const lh_model_params &params) {
        if (path.find('\0') != std::string::npos) detail::invalid("the model path contains a NUL byte");
        lh_model *raw = nullptr;
        detail::check(lh_model_load(path.c_str(), &params, &raw));
        model_.reset(raw, [](lh_model *m) { lh_model_free(m); });
        std::memset(&info_, 0, sizeof info_);
        info_.struct_size = sizeof info_;
        detail::check(lh_model_get_info(raw, &info_));
    }

    // Drops this object's reference; the model is freed once no context uses it. Idempotent.
    void close() { model_.reset(); }
    bool closed() const { return !model_.load(); }

    lh_model_info info() const {
        get();
        return info_;
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
        std::shared_ptr<lh_model> m = get();
        std::vector<int32_t> ids(text.size() + 2);
        size_t n = 0;
        lh_status st = lh_tokenize(m.get(), text.data(), text.size(), add_bos, parse_special, ids.data(), ids.size(), &n);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            ids.resize(n);
            st = lh_tokenize(m.get(), text.data(), text.size(), add_bos, parse_special, ids.data(), ids.size(), &n);
        }
        detail::check(st);
        ids.resize(n);
        return ids;
    }

    // flags: lh_detok_flags bits.
    std::string detokenize(const std::vector<int32_t> &tokens, int32_t flags = 0) const {
        std::shared_ptr<lh_model> m = get();
        return detail::read_bytes(
            [&](char *buf, size_t cap, size_t *len) {
                return lh_detokenize(m.get(), tokens.data(), tokens.size(), flags, buf, cap, len);
            },
            tokens.size() * 8 + 16);
    }

    // The raw bytes of one token's piece.
    std::string token_piece(int32_t token) const {
        std::shared_ptr<lh_model> m = get();
        return detail::read_bytes(
            [&](char *buf, size_t cap, size_t *len) { return lh_token_piece(m.get(), token, buf, cap, len); }, 32);
    }

    bool token_is_eog(int32_t token) const { return lh_token_is_eog(get().get(), token) != 0; }

    // A metadata value rendered as text.
    std::string meta(const std::string &key) const {
        std::shared_ptr<lh_model> m = get();
        if (key.find('\0') != std::string::npos) detail::invalid("the key contains a NUL byte");
        return detail::read_bytes(
            [&](char *buf, size_t cap, size_t *len) { return lh_model_meta_get(m.get(), key.c_str(), buf, cap, len); },
            256);
    }

    // The conversation formatted with a chat template: `tmpl` "" = the model's own, else a
    // family name or a Jinja template's text (lh_chat_format).
    std::string chat_format(const ChatMessages &messages, bool add_assistant = true, const std::string &tmpl = "") const {
        std::shared_ptr<lh_model> m = get();
        std::vector<lh_chat_message> msgs = messages.to_c();
        const char *t = template_arg(tmpl);
        std::string out(256, '\0');
        size_t len = 0;
        lh_status st = lh_chat_format(m.get(), t, msgs.data(), msgs.size(), add_assistant, &out[0], out.size(), &len);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            out.assign(len + 1, '\0');
            st = lh_chat_format(m.get(), t, msgs.data(), msgs.size(), add_assistant, &out[0], out.size(), &len);
        }
        detail::check(st);
        out.resize(len);
        return out;
    }
    // The family name ("chatml", "llama3.1", ...) a template (or the model's own: "") selects.
    std::string chat_template_family(const std::string &tmpl = "") const {
        std::shared_ptr<lh_model> m = get();
        const char *name = nullptr;
        detail::check(lh_chat_template_family(m.get(), template_arg(tmpl), &name));
        return name;
    }

#ifndef SWIG
    static const char *template_arg(const std::string &tmpl) {
        if (tmpl.find('\0') != std::string::npos) detail::invalid("the chat template contains a NUL byte");
        return tmpl.empty() ? nullptr : tmpl.c_str();
    }
#endif

    int32_t tensor_count() const {
        int32_t n = 0;
        detail::check(lh_model_tensor_count(get().get(), &n));
        return n;
    }
    std::string tensor_name(int32_t index) const {
        std::shared_ptr<lh_model> m = get();  // the name is borrowed from the model
        return tensor(m.get(), index).name;
    }
    std::string tensor_type(int32_t index) const { return tensor(get().get(), index).type_name; }
    std::vector<int64_t> tensor_dims(int32_t index) const {
        lh_tensor_info t = tensor(get().get(), index);
        int32_t n = t.n_dims < 0 ? 0 : (t.n_dims > 4 ? 4 : t.n_dims);
        return std::vector<int64_t>(t.dims, t.dims + n);
    }

    // Bytes the KV cache of a context with these params would take at n_tokens tokens.
    int64_t estimate_kv_bytes(const lh_context_params &params, int64_t n_tokens) const {
        std::shared_ptr<lh_model> m = get();
        uint64_t bytes = 0;
        detail::check(lh_context_estimate_kv_bytes(m.get(), &params, n_tokens, &bytes));
        return static_cast<int64_t>(bytes);
    }

#ifndef SWIG
    std::shared_ptr<lh_model> get() const { return model_.get("model"); }
#endif

private:
    static lh_tensor_info tensor(const lh_model *m, int32_t index) {
        lh_tensor_info t;
        std::memset(&t, 0, sizeof t);
        detail::check(lh_model_tensor_get(m, index, &t));
        if (!t.name) t.name = "";
        if (!t.type_name) t.type_name = "";
        return t;
    }

    detail::Handle<lh_model> model_;
    lh_model_info info_;
};

// The text stream of one generation: the one pull loop every language adapts to its
// iterator protocol. Keeps its context alive. One thread at a time (cancel() from any).
class Generation {
public:
    // Pulls until there is text or the generation ends. true: piece() holds the next
    // non-empty piece (valid UTF-8), possibly the final flush that comes with the end. false:
    // the generation has ended and all its text was returned; stop_reason() says why.
    bool next() {
        return pull_.next([this](const char **piece, size_t *len, int32_t *token, int32_t *done) {
            std::shared_ptr<lh_generation> g = get();
            lh_status st = lh_generation_next(g.get(), piece, len, token, done);
            if (st == LH_OK && *done) stop_reason_ = lh_generation_stop_reason(g.get());
            return st;
        });
    }
    std::string piece() const { return pull_.piece; }
    // Everything generated so far (also after close()).
    std::vector<int32_t> tokens() const { return pull_.tokens; }
    std::string text() const { return pull_.text; }
    bool done() const { return pull_.done; }
    // LH_STOP_NONE until the end (and when closed before it).
    lh_stop_reason stop_reason() const { return stop_reason_; }
    // Ask the generation to stop soon (any thread): the next step ends it with
    // LH_STOP_CANCELLED and returns the text held back.
    void cancel() {
        std::shared_ptr<lh_context> c = ctx_.load();
        if (c) lh_context_cancel(c.get());
    }
    void close() {
        gen_.reset();
        ctx_.reset();
    }
    bool closed() const { return !gen_.load(); }

#ifndef SWIG
    Generation(std::shared_ptr<lh_context> ctx, lh_generation *raw) {
        // The deleter holds the context: it is freed only after this generation.
        gen_.reset(raw, [ctx](lh_generation *g) { lh_generation_free(g); });
        ctx_.set(std::move(ctx));  // for cancel()
    }
#endif

private:
    std::shared_ptr<lh_generation> get() const { return gen_.get("generation"); }
    detail::Handle<lh_context> ctx_;
    detail::Handle<lh_generation> gen_;
    detail::Pull pull_;
    lh_stop_reason stop_reason_ = LH_STOP_NONE;
};

// Chooses tokens from logits (temperature, top-k, top-p, min-p, repetition penalty).
class Sampler {
public:
    explicit Sampler(const lh_sampler_params &params) {
        lh_sampler *raw = nullptr;
        detail::check(lh_sampler_create(&params, &raw));
        sampler_.reset(raw, [](lh_sampler *s) { lh_sampler_free(s); });
    }
    void close() { sampler_.reset(); }
    bool closed() const { return !sampler_.load(); }

    int32_t sample(const std::vector<float> &logits) {
        std::shared_ptr<lh_sampler> s = get();
        if (logits.empty()) detail::invalid("logits are empty");
        int32_t token = -1;
        detail::check(lh_sampler_sample(s.get(), logits.data(), static_cast<int32_t>(logits.size()), &token));
        return token;
    }
    void accept(const std::vector<int32_t> &tokens) {
        std::shared_ptr<lh_sampler> s = get();
        detail::check(lh_sampler_accept(s.get(), tokens.data(), tokens.size()));
    }

#ifndef SWIG
    std::shared_ptr<lh_sampler> get() const { return sampler_.get("sampler"); }
#endif

private:
    detail::Handle<lh_sampler> sampler_;
};

// A KV cache plus the attention configuration; one thread at a time.
class Context {
public:
    Context(const Model &model, const lh_context_params &params) {
        std::shared_ptr<lh_model> m = model.get();
        lh_context *raw = nullptr;
        detail::check(lh_context_create(m.get(), &params, &raw));
        own(std::move(m), raw, model.n_vocab());
    }

    // A context holding what a file saved by save() holds (lh_context_load): with the saved
    // parameters, or with `params` (attention fields equal to the saved ones; n_ctx 0 = saved).
    static Context *load(const Model &model, const std::string &path) { return load_file(model, path, nullptr); }
    static Context *load(const Model &model, const std::string &path, const lh_context_params &params) {
        return load_file(model, path, &params);
    }
    // The parameters a saved context was made with, from its file's header.
    static lh_context_params file_params(const std::string &path) {
        lh_context_params p;
        lh_context_params_init(&p);
        detail::check(lh_context_file_params(detail::c_path(path), &p));
        return p;
    }

    void close() {
        ctx_.reset();
        model_.reset();
    }
    bool closed() const { return !ctx_.load(); }

    // The effective parameters (defaults resolved).
    lh_context_params params() const {
        std::shared_ptr<lh_context> c = get();
        lh_context_params p;
        lh_context_params_init(&p);
        detail::check(lh_context_get_params(c.get(), &p));
        return p;
    }
    int32_t n_ctx() const { return params().n_ctx; }
    int32_t n_vocab() const {
        get();
        return n_vocab_;
    }

    void reset() { detail::check(lh_context_reset(get().get())); }

    // The tokens the context holds, in order.
    std::vector<int32_t> tokens() const {
        std::shared_ptr<lh_context> c = get();
        std::vector<int32_t> out(static_cast<size_t>(n_past()));
        size_t n = 0;
        lh_status st = lh_context_tokens(c.get(), out.data(), out.size(), &n);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            out.resize(n);
            st = lh_context_tokens(c.get(), out.data(), out.size(), &n);
        }
        detail::check(st);
        out.resize(n);
        return out;
    }
    // Makes the context hold exactly `tokens`, evaluating only what differs from what it holds;
    // returns the tokens kept.
    int32_t eval_reuse(const std::vector<int32_t> &tokens) {
        std::shared_ptr<lh_context> c = get();
        int32_t reused = 0;
        detail::check(lh_context_eval_reuse(c.get(), tokens.data(), tokens.size(), &reused));
        return reused;
    }
    // Keeps the first n_keep tokens.
    void truncate(int32_t n_keep) { detail::check(lh_context_truncate(get().get(), n_keep)); }
    // An independent copy (same parameters, tokens, cache); it keeps the model alive.
    Context *fork() {
        std::shared_ptr<lh_context> c = get();
        lh_context *raw = nullptr;
        detail::check(lh_context_fork(c.get(), &raw));
        return new Context(model_.get("context"), raw, n_vocab_);
    }
    void save(const std::string &path) {
        std::shared_ptr<lh_context> c = get();
        detail::check(lh_context_save(c.get(), detail::c_path(path)));
    }
    int32_t n_past() const {
        int32_t n = 0;
        detail::check(lh_context_n_past(get().get(), &n));
        return n;
    }

    void eval(const std::vector<int32_t> &tokens, bool all_logits = false) {
        std::shared_ptr<lh_context> c = get();
        detail::check(lh_context_eval(c.get(), tokens.data(), tokens.size(), all_logits ? 1 : 0));
    }

    // Logits (n_vocab floats) of token `index` of the last eval (-1 = its last token).
    std::vector<float> logits(int32_t index = -1) const {
        std::shared_ptr<lh_context> c = get();
        std::vector<float> out(static_cast<size_t>(n_vocab_ > 0 ? n_vocab_ : 0));
        detail::check(lh_context_copy_logits(c.get(), index, out.data(), out.size()));
        return out;
    }

    // Chooses a token from the logits of token `index` of the last eval with `sampler`, or
    // greedily (argmax) when it is null, with a greedy sampler made on first use.
    int32_t sample(Sampler *sampler = nullptr, int32_t index = -1) {
        std::shared_ptr<lh_context> c = get();
        std::shared_ptr<lh_sampler> s = sampler ? sampler->get() : greedy();
        const float *logits = nullptr;
        detail::check(lh_context_logits(c.get(), index, &logits));
        int32_t token = -1;
        detail::check(lh_sampler_sample(s.get(), logits, n_vocab_, &token));
        return token;
    }

    // Safe from any thread while another runs eval/generate on this context.
    void cancel() {
        std::shared_ptr<lh_context> c = ctx_.load();
        if (c) lh_context_cancel(c.get());
    }

    // A whole generation (the prompt is appended to what the context holds).
    std::string generate(const std::string &prompt, const lh_generate_params &params, const lh_sampler_params &sampling,
                         const std::vector<std::string> &stop) {
        std::shared_ptr<lh_context> c = get();
        detail::GenerateCall call(params, sampling, stop);
        std::string text;
        detail::check(lh_generate(c.get(), prompt.data(), prompt.size(), &call.params, &Context::append, &text,
                                  nullptr, 0, nullptr));
        return text;
    }

    // Starts a pull-loop generation; the returned object keeps this context alive.
    Generation *start(const std::string &prompt, const lh_generate_params &params, const lh_sampler_params &sampling,
                      const std::vector<std::string> &stop) {
        std::shared_ptr<lh_context> c = get();
        detail::GenerateCall call(params, sampling, stop);
        lh_generation *raw = nullptr;
        detail::check(lh_generation_start(c.get(), prompt.data(), prompt.size(), &call.params, &raw));
        return new Generation(c, raw);
    }

#ifndef SWIG
    std::shared_ptr<lh_context> get() const { return ctx_.get("context"); }
#endif

private:
#ifndef SWIG
    Context(std::shared_ptr<lh_model> m, lh_context *raw, int32_t n_vocab) { own(std::move(m), raw, n_vocab); }
#endif
    void own(std::shared_ptr<lh_model> m, lh_context *raw, int32_t n_vocab) {
        // The deleter holds the model: it is freed only after this context.
        ctx_.reset(raw, [m](lh_context *c) { lh_context_free(c); });
        model_.set(std::move(m));
        n_vocab_ = n_vocab;
    }
    static Context *load_file(const Model &model, const std::string &path, const lh_context_params *params) {
        std::shared_ptr<lh_model> m = model.get();
        lh_context *raw = nullptr;
        detail::check(lh_context_load(m.get(), detail::c_path(path), params, &raw));
        return new Context(std::move(m), raw, model.n_vocab());
    }
    static int32_t append(const char *piece, size_t len, int32_t, void *user_data) {
        static_cast<std::string *>(user_data)->append(piece, len);
        return 0;
    }
    std::shared_ptr<lh_sampler> greedy() {
        std::lock_guard<std::mutex> lock(greedy_mutex_);
        if (!greedy_) {
            lh_sampler_params p;
            lh_sampler_params_init(&p);
            p.temperature = 0.0f;
            lh_sampler *raw = nullptr;
            detail::check(lh_sampler_create(&p, &raw));
            greedy_.reset(raw, [](lh_sampler *s) { lh_sampler_free(s); });
        }
        return greedy_;
    }
    detail::Handle<lh_context> ctx_;
    detail::Handle<lh_model> model_;  // for fork(); dropped by close() like ctx_
    int32_t n_vocab_ = 0;
    std::mutex greedy_mutex_;
    std::shared_ptr<lh_sampler> greedy_;  // stateless (temperature 0, no penalty): shareable
};

// A multi-turn conversation on a context (lh_chat_*): send() a user message, then pull the
// reply with next()/piece() (the one stream loop, as Generation); the KV cache is kept across
// turns. Keeps its context alive.
class Chat {
public:
    Chat(const Context &context, const std::string &tmpl = "", const std::string &system = "") {
        std::shared_ptr<lh_context> c = context.get();
        if (system.find('\0') != std::string::npos) detail::invalid("the system message contains a NUL byte");
        lh_chat *raw = nullptr;
        detail::check(lh_chat_create(c.get(), Model::template_arg(tmpl), system.c_str(), &raw));
        chat_.reset(raw, [c](lh_chat *h) { lh_chat_free(h); });
        ctx_.set(std::move(c));
    }
    void close() {
        chat_.reset();
        ctx_.reset();
    }
    bool closed() const { return !chat_.load(); }

    // Adds a user message and starts the reply (pulled with next()).
    void send(const std::string &user_text, const lh_generate_params &params, const lh_sampler_params &sampling,
              const std::vector<std::string> &stop) {
        std::shared_ptr<lh_chat> h = get();
        if (user_text.find('\0') != std::string::npos) detail::invalid("the message contains a NUL byte");
        detail::GenerateCall call(params, sampling, stop);
        detail::check(lh_chat_send(h.get(), user_text.c_str(), &call.params));
        reply_ = detail::Pull();
    }
    // true: piece() holds the reply's next non-empty piece (the final flush included); false:
    // the reply has ended (and joined the conversation).
    bool next() {
        return reply_.next([this](const char **piece, size_t *len, int32_t *token, int32_t *done) {
            return lh_chat_next(get().get(), piece, len, token, done);
        });
    }
    std::string piece() const { return reply_.piece; }
    // The reply's text and tokens so far.
    std::string text() const { return reply_.text; }
    std::vector<int32_t> tokens() const { return reply_.tokens; }
    lh_stop_reason stop_reason() const { return lh_chat_stop_reason(get().get()); }
    void cancel() {
        std::shared_ptr<lh_context> c = ctx_.load();
        if (c) lh_context_cancel(c.get());
    }

    int32_t n_messages() const {
        size_t n = 0;
        detail::check(lh_chat_n_messages(get().get(), &n));
        return static_cast<int32_t>(n);
    }
    std::string message_role(int32_t index) const { return message(index, true); }
    std::string message_content(int32_t index) const { return message(index, false); }
    int32_t last_evaluated() const { return last_prompt(true); }
    int32_t last_reused() const { return last_prompt(false); }

private:
    std::shared_ptr<lh_chat> get() const { return chat_.get("chat"); }
    std::string message(int32_t index, bool role) const {
        if (index < 0) detail::invalid("message index is negative");
        const char *r = nullptr, *c = nullptr;
        detail::check(lh_chat_message_at(get().get(), static_cast<size_t>(index), &r, &c));
        return role ? r : c;
    }
    int32_t last_prompt(bool evaluated) const {
        int32_t e = 0, k = 0;
        detail::check(lh_chat_last_prompt(get().get(), &e, &k));
        return evaluated ? e : k;
    }
    detail::Handle<lh_context> ctx_;
    detail::Handle<lh_chat> chat_;
    detail::Pull reply_;
};

// "MAJOR.MINOR.PATCH" of the native library.
inline const char *version() { return lh_version(); }
// Instruction-set level of the kernels this process runs ("generic", "avx2", ...).
inline const char *cpu_level() { return lh_cpu_level(); }
inline const char *status_string(lh_status status) { return lh_status_string(status); }

}  // namespace longheads

#endif  // LONGHEADS_FACADE_HPP
