// Status strings, version, CPU level, and the thread-local last-error message.
#include "api/api_internal.h"
#include "cpu/isa.h"

namespace lh::api {

namespace {
thread_local std::string g_last_error;
}

void set_last_error(const std::string &message) { g_last_error = message; }
void clear_last_error() { g_last_error.clear(); }
const char *last_error_cstr() { return g_last_error.c_str(); }

void copy_out(const std::string &bytes, char *buf, size_t capacity, size_t *out_len, bool nul_terminate) {
    size_t need = bytes.size() + (nul_terminate ? 1 : 0);
    if (out_len) *out_len = bytes.size();
    if (capacity < need || (need > 0 && !buf)) {
        fail(LH_ERROR_BUFFER_TOO_SMALL,
             "buffer of " + std::to_string(capacity) + " bytes is too small: " + std::to_string(need) + " needed");
    }
    if (!bytes.empty()) std::memcpy(buf, bytes.data(), bytes.size());
    if (nul_terminate) buf[bytes.size()] = '\0';
}

}  // namespace lh::api

extern "C" {

LH_API const char *lh_status_string(lh_status status) {
    switch (status) {
        case LH_OK: return "ok";
        case LH_ERROR_INVALID_ARGUMENT: return "invalid argument";
        case LH_ERROR_IO: return "i/o error";
        case LH_ERROR_BAD_FORMAT: return "bad file format";
        case LH_ERROR_UNSUPPORTED: return "unsupported";
        case LH_ERROR_OUT_OF_MEMORY: return "out of memory";
        case LH_ERROR_CONTEXT_FULL: return "context full";
        case LH_ERROR_BUFFER_TOO_SMALL: return "buffer too small";
        case LH_ERROR_CANCELLED: return "cancelled";
        case LH_ERROR_BUSY: return "context busy";
        case LH_ERROR_NUMERIC: return "numeric error";
        case LH_ERROR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

LH_API const char *lh_last_error(void) { return lh::api::last_error_cstr(); }

#define LH_STR2(x) #x
#define LH_STR(x) LH_STR2(x)
LH_API const char *lh_version(void) {
    return LH_STR(LH_VERSION_MAJOR) "." LH_STR(LH_VERSION_MINOR) "." LH_STR(LH_VERSION_PATCH);
}

LH_API const char *lh_cpu_level(void) { return lh::cpu::isa_name(lh::cpu::active_isa()); }

}
