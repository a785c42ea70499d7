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

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "longheads/longheads.h"
#include "longheads_params.hpp"

namespace longheads {

/* ---------------------------------------------------------------------------------------- */
/* Objects                                                                                   */
/* ---------------------------------------------------------------------------------------- */

class Context;
class Sampler;
class Generation;

namespace detail {

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

}  // namespace detail

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
    bool closed() const { return !model_.load(); }

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
        std::string out(256, '\0');
        size_t len = 0;
        lh_status st = lh_model_meta_get(m.get(), key.c_str(), &out[0], out.size(), &len);
        if (st == LH_ERROR_BUFFER_TOO_SMALL) {
            out.assign(len + 1, '\0');
            st = lh_model_meta_get(m.get(), key.c_str(), &out[0], out.size(), &len);
        }
        detail::check(st);
        out.resize(len);
        return out;
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
    int64_t estimate_kv_bytes(const ContextParams &params, int64_t n_tokens) const {
        std::shared_ptr<lh_model> m = get();
        lh_context_params p = params.to_c();
        uint64_t bytes = 0;
        detail::check(lh_context_estimate_kv_bytes(m.get(), &p, n_tokens, &bytes));
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
    lh_model_info info_{};
};

// One step of the generation pull loop, as the C API returns it. Keeps its context alive.
class Generation {
public:
    // Advances one step. Returns false once the generation has ended (then token() is -1 and
    // stop_reason() says why); piece() may then still hold text held back until the end.
    bool next() {
        std::shared_ptr<lh_generation> g = get();
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        detail::check(lh_generation_next(g.get(), &piece, &len, &token, &done));
        piece_.assign(piece ? piece : "", piece ? len : 0);
        token_ = token;
        done_ = done != 0;
        return !done_;
    }
    std::string piece() const { return piece_; }
    int32_t token() const { return token_; }
    bool done() const { return done_; }
    int32_t stop_reason() const { return static_cast<int32_t>(lh_generation_stop_reason(get().get())); }
    // Ask the generation's context to stop soon (any thread).
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
    std::string piece_;
    int32_t token_ = -1;
    bool done_ = false;
};

// A KV cache plus the attention configuration; one thread at a time.
class Context {
public:
    Context(const Model &model, const ContextParams &params = ContextParams()) {
        std::shared_ptr<lh_model> m = model.get();
        lh_context_params p = params.to_c();
        lh_context *raw = nullptr;
        detail::check(lh_context_create(m.get(), &p, &raw));
        // The deleter holds the model: it is freed only after this context.
        ctx_.reset(raw, [m](lh_context *c) { lh_context_free(c); });
        n_vocab_ = model.n_vocab();
    }

    void close() { ctx_.reset(); }
    bool closed() const { return !ctx_.load(); }

    ContextParams params() const {
        std::shared_ptr<lh_context> c = get();
        lh_context_params p;
        lh_context_params_init(&p);
        detail::check(lh_context_get_params(c.get(), &p));
        ContextParams out;
        out.from_c(p);
        return out;
    }
    int32_t n_ctx() const { return params().n_ctx; }
    int32_t n_vocab() const {
        get();
        return n_vocab_;
    }

    void reset() { detail::check(lh_context_reset(get().get())); }
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

    // Safe from any thread while another runs eval/generate on this context.
    void cancel() {
        std::shared_ptr<lh_context> c = ctx_.load();
        if (c) lh_context_cancel(c.get());
    }

    // A whole generation (the prompt is appended to what the context holds).
    std::string generate(const std::string &prompt, const GenerateParams &params = GenerateParams()) {
        std::shared_ptr<lh_context> c = get();
        std::vector<const char *> stops;
        lh_generate_params p = params.to_c(stops);
        std::string text;
        detail::check(
            lh_generate(c.get(), prompt.data(), prompt.size(), &p, &Context::append, &text, nullptr, 0, nullptr));
        return text;
    }

    // Starts a pull-loop generation; the returned object keeps this context alive.
    Generation *start(const std::string &prompt, const GenerateParams &params = GenerateParams()) {
        std::shared_ptr<lh_context> c = get();
        std::vector<const char *> stops;
        lh_generate_params p = params.to_c(stops);
        lh_generation *raw = nullptr;
        detail::check(lh_generation_start(c.get(), prompt.data(), prompt.size(), &p, &raw));
        return new Generation(c, raw);
    }

#ifndef SWIG
    std::shared_ptr<lh_context> get() const { return ctx_.get("context"); }
#endif

private:
    static int32_t append(const char *piece, size_t len, int32_t, void *user_data) {
        static_cast<std::string *>(user_data)->append(piece, len);
        return 0;
    }
    detail::Handle<lh_context> ctx_;
    int32_t n_vocab_ = 0;
};

// A multi-turn conversation on a context (lh_chat_*): send() a user message, then pull the
// reply with next()/piece(); the KV cache is kept across turns. Keeps its context alive.
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

    void send(const std::string &user_text, const GenerateParams &params = GenerateParams()) {
        std::shared_ptr<lh_chat> h = get();
        if (user_text.find('\0') != std::string::npos) detail::invalid("the message contains a NUL byte");
        std::vector<const char *> stops;
        lh_generate_params p = params.to_c(stops);
        detail::check(lh_chat_send(h.get(), user_text.c_str(), &p));
    }
    // One step of the reply; false once it has ended (and joined the conversation).
    bool next() {
        std::shared_ptr<lh_chat> h = get();
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        detail::check(lh_chat_next(h.get(), &piece, &len, &token, &done));
        piece_.assign(piece ? piece : "", piece ? len : 0);
        token_ = token;
        return done == 0;
    }
    std::string piece() const { return piece_; }
    int32_t token() const { return token_; }
    int32_t stop_reason() const { return static_cast<int32_t>(lh_chat_stop_reason(get().get())); }
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
    std::string piece_;
    int32_t token_ = -1;
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
    bool closed() const { return !sampler_.load(); }

    int32_t sample(const std::vector<float> &logits) {
        std::shared_ptr<lh_sampler> s = get();
        if (logits.empty()) detail::invalid("logits are empty");
        int32_t token = -1;
        detail::check(lh_sampler_sample(s.get(), logits.data(), static_cast<int32_t>(logits.size()), &token));
        return token;
    }
    // Samples from the context's logits of token `index` of its last eval, without copying them.
    int32_t sample_context(const Context &context, int32_t index = -1) {
        std::shared_ptr<lh_sampler> s = get();
        std::shared_ptr<lh_context> c = context.get();
        const float *logits = nullptr;
        detail::check(lh_context_logits(c.get(), index, &logits));
        int32_t token = -1;
        detail::check(lh_sampler_sample(s.get(), logits, context.n_vocab(), &token));
        return token;
    }
    void accept(const std::vector<int32_t> &tokens) {
        std::shared_ptr<lh_sampler> s = get();
        detail::check(lh_sampler_accept(s.get(), tokens.data(), tokens.size()));
    }

private:
    std::shared_ptr<lh_sampler> get() const { return sampler_.get("sampler"); }
    detail::Handle<lh_sampler> sampler_;
};

inline std::string version() { return lh_version(); }
inline std::string cpu_level() { return lh_cpu_level(); }
inline std::string status_string(int32_t status) { return lh_status_string(static_cast<lh_status>(status)); }

}  // namespace longheads

#endif  // LONGHEADS_FACADE_HPP
