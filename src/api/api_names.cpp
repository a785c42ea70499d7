// C entry points: names of enum values (the table is common/enum_names.cpp).
#include "api/api_internal.h"
#include "common/enum_names.h"

using namespace lh;
using namespace lh::api;

namespace {

template <typename Enum>
const char *name_of(Enum value) {
    int32_t raw;
    std::memcpy(&raw, &value, sizeof raw);
    return enum_name(enum_names(Enum{}), raw);
}

template <typename Enum>
lh_status value_of(const char *name, Enum *out_value) {
    return guarded([&] {
        const EnumNames &names = enum_names(Enum{});
        require_arg(name != nullptr, "name is NULL");
        require_arg(out_value != nullptr, "out_value is NULL");
        int32_t v = 0;
        if (!enum_from_name(names, name, &v)) {
            fail(LH_ERROR_INVALID_ARGUMENT, std::string("'") + name + "' is not a " + names.c_type + " name (" +
                                                enum_name_list(names) + ")");
        }
        *out_value = static_cast<Enum>(v);
    });
}

}  // namespace

extern "C" {

LH_API const char *lh_status_name(lh_status value) { return name_of(value); }
LH_API lh_status lh_status_from_name(const char *name, lh_status *out_value) { return value_of(name, out_value); }
LH_API const char *lh_precision_name(lh_precision value) { return name_of(value); }
LH_API lh_status lh_precision_from_name(const char *name, lh_precision *out_value) { return value_of(name, out_value); }
LH_API const char *lh_attention_name(lh_attention value) { return name_of(value); }
LH_API lh_status lh_attention_from_name(const char *name, lh_attention *out_value) { return value_of(name, out_value); }
LH_API const char *lh_prefill_mode_name(lh_prefill_mode value) { return name_of(value); }
LH_API lh_status lh_prefill_mode_from_name(const char *name, lh_prefill_mode *out_value) {
    return value_of(name, out_value);
}
LH_API const char *lh_kv_type_name(lh_kv_type value) { return name_of(value); }
LH_API lh_status lh_kv_type_from_name(const char *name, lh_kv_type *out_value) { return value_of(name, out_value); }
LH_API const char *lh_chunk_score_name(lh_chunk_score value) { return name_of(value); }
LH_API lh_status lh_chunk_score_from_name(const char *name, lh_chunk_score *out_value) {
    return value_of(name, out_value);
}
LH_API const char *lh_stop_reason_name(lh_stop_reason value) { return name_of(value); }
LH_API lh_status lh_stop_reason_from_name(const char *name, lh_stop_reason *out_value) {
    return value_of(name, out_value);
}

}  // extern "C"
