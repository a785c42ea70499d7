// The one table of names of the C API's enum values. The C functions lh_<enum>_name /
// lh_<enum>_from_name, the validation of parameter structs, error messages, the CLI and the
// bindings all read it; adding an enum value means adding its name here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "longheads/longheads.h"

namespace lh {

struct EnumAlias {
    const char *name;
    int32_t value;
};

// Canonical names of values 0..count-1 (an enum's values are consecutive from 0), and extra
// spellings accepted by from_name.
struct EnumNames {
    const char *c_type;  // "lh_attention", for messages
    const char *const *names;
    int32_t count;
    const EnumAlias *aliases;
    int32_t n_aliases;
};

const EnumNames &enum_names(lh_status);
const EnumNames &enum_names(lh_precision);
const EnumNames &enum_names(lh_attention);
const EnumNames &enum_names(lh_prefill_mode);
const EnumNames &enum_names(lh_kv_type);
const EnumNames &enum_names(lh_chunk_score);
const EnumNames &enum_names(lh_stop_reason);

// The canonical name of `value`, or nullptr if it is not a member.
const char *enum_name(const EnumNames &names, int32_t value);
// Looks up a canonical name or alias: ASCII case-insensitive, '-' and '_' interchangeable.
bool enum_from_name(const EnumNames &names, std::string_view name, int32_t *out_value);
// "full, window, longheads" (canonical names, for messages).
std::string enum_name_list(const EnumNames &names);

// The raw integer a caller stored in an enum field of a parameter struct, checked: throws
// lh::Error(LH_ERROR_INVALID_ARGUMENT) "<field> 7 is not a valid lh_attention (full, ...)".
// Reading the raw value first avoids loading an out-of-range enum (undefined in C++).
template <typename Enum>
Enum checked_enum(const Enum &field, const char *field_name);

}  // namespace lh
