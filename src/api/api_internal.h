// What every C entry point shares: the handle structs behind the opaque types, the
// thread-local error message, and the firewall that turns C++ exceptions into statuses.
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common/error.h"
#include "longheads/longheads.h"
#include "model/model.h"
#include "runtime/context.h"
#include "sampling/sampler.h"
#include "tokenizer/vocab.h"

struct lh_model {
    std::unique_ptr<lh::Model> model;
};

struct lh_context {
    const lh_model *owner = nullptr;
    std::unique_ptr<lh::Context> context;
    std::atomic<bool> cancel{false};
    std::atomic<bool> busy{false};
    // The generation that may still add tokens (0: none). Any other call that changes the
    // tokens takes the context over; that generation's next call then fails instead of mixing
    // its tokens with the newcomer's. Read and written only under BusyGuard.
    uint64_t live_generation = 0;
    uint64_t last_generation = 0;
    const char *taken_over_by = "";

    // A call that changes the tokens starts: the live generation (if any) loses the context.
    void take_over(const char *call) {
        if (live_generation != 0) taken_over_by = call;
        live_generation = 0;
    }
};

struct lh_sampler {
    std::unique_ptr<lh::Sampler> sampler;
};

namespace lh::api {

void set_last_error(const std::string &message);
void clear_last_error();
const char *last_error_cstr();

// Runs `body` (returning lh_status or void) behind the firewall: no exception escapes.
template <typename Body>
lh_status guarded(Body &&body) noexcept {
    try {
        clear_last_error();
        body();
        clear_last_error();  // a call that failed inside a callback of `body` is not this call's error
        return LH_OK;
    } catch (const Error &e) {
        set_last_error(e.what());
        return e.status();
    } catch (const std::bad_alloc &) {
        set_last_error("out of memory");
        return LH_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        set_last_error(std::string("internal error: ") + e.what());
        return LH_ERROR_INTERNAL;
    } catch (...) {
        set_last_error("internal error: unknown exception");
        return LH_ERROR_INTERNAL;
    }
}

inline void require_arg(bool ok, const char *message) {
    if (!ok) fail(LH_ERROR_INVALID_ARGUMENT, message);
}

// Marks a context busy for the duration of a call; a second thread gets LH_ERROR_BUSY.
class BusyGuard {
public:
    explicit BusyGuard(lh_context *ctx) : ctx_(ctx) {
        bool expected = false;
        if (!ctx_->busy.compare_exchange_strong(expected, true))
            fail(LH_ERROR_BUSY, "the context is being used by another thread");
    }
    ~BusyGuard() { ctx_->busy.store(false); }
    BusyGuard(const BusyGuard &) = delete;
    BusyGuard &operator=(const BusyGuard &) = delete;

private:
    lh_context *ctx_;
};

// Library options from a caller's (complete) lh_context_params; enum fields checked.
ContextOptions to_options(const lh_context_params &p);
// And back (lh_context_get_params, lh_context_file_params).
lh_context_params from_options(const ContextOptions &o);

// Copies bytes to a caller buffer with the size-query convention of the header.
void copy_out(const std::string &bytes, char *buf, size_t capacity, size_t *out_len, bool nul_terminate);

// The struct_size of a caller's struct, refused when 0 (never initialised) or too small to hold
// it. Sizes above sizeof(T) come from a newer header: only the fields this library knows are used.
template <typename T>
uint32_t checked_struct_size(const T &given, const char *type) {
    const uint32_t size = given.struct_size;
    if (size < sizeof(uint32_t)) {
        fail(LH_ERROR_INVALID_ARGUMENT, std::string(type) + ".struct_size is " + std::to_string(size) +
                                            ": set it to sizeof(" + type + ") (the *_params_init functions do)");
    }
    return size < sizeof(T) ? size : static_cast<uint32_t>(sizeof(T));
}

// Reads a params struct whose first field is struct_size: copies at most struct_size bytes over
// the defaults, so a program built against an older header (a smaller struct) keeps working.
// NULL gives the defaults.
template <typename T>
T read_params(const T *given, const T &defaults, const char *type) {
    T out = defaults;
    if (!given) return out;
    std::memcpy(&out, given, checked_struct_size(*given, type));
    out.struct_size = sizeof(T);
    return out;
}

// Fills a caller's params struct of `size` bytes (its sizeof) with `defaults`: never more than
// it holds, nor more than this library's struct. Sizes too small for struct_size: nothing.
template <typename T>
void init_struct(T *dst, const T &defaults, size_t size) {
    if (!dst || size < sizeof(uint32_t)) return;
    const size_t n = size < sizeof(T) ? size : sizeof(T);
    std::memcpy(dst, &defaults, n);
    dst->struct_size = static_cast<uint32_t>(n);
}

// Writes an out-struct whose caller set struct_size: at most that many bytes.
template <typename T>
void write_struct(T *dst, const T &src, const char *type) {
    const uint32_t size = checked_struct_size(*dst, type);
    std::memcpy(dst, &src, size);
    dst->struct_size = size;
}

}  // namespace lh::api
