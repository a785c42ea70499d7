// longheads_params.hpp — the value types of the bindings' C++ facade (longheads_facade.hpp):
// longheads::Error, the parameter structs (defaults from the C lh_*_params_init functions) and
// ModelInfo. Header-only; it uses the stable C API (longheads.h) only.
#ifndef LONGHEADS_PARAMS_HPP
#define LONGHEADS_PARAMS_HPP

#include <cstdint>
#include <cstring>
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
    int32_t chunk_score;  // lh_chunk_score
    int32_t local_chunks;
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
        chunk_score = static_cast<int32_t>(p.chunk_score);
        local_chunks = p.local_chunks;
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
        p.chunk_score = static_cast<lh_chunk_score>(chunk_score);
        p.local_chunks = local_chunks;
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

}  // namespace longheads

#endif  // LONGHEADS_PARAMS_HPP
