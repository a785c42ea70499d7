// The names the CLI accepts for the library's enums (--attention, --kv-type, ...) and prints
// back (JSON, text). Every flag and message takes its value list from here, so a new enum value
// is added in one place.
#pragma once

#include <string>
#include <vector>

#include "longheads/longheads.h"

namespace cli {

template <typename E>
struct EnumName {
    const char *name;
    E value;
};

const std::vector<EnumName<lh_precision>> &precision_names();
const std::vector<EnumName<lh_attention>> &attention_names();
const std::vector<EnumName<lh_prefill_mode>> &prefill_names();
const std::vector<EnumName<lh_kv_type>> &kv_type_names();
const std::vector<EnumName<lh_chunk_score>> &chunk_score_names();
const std::vector<EnumName<lh_stop_reason>> &stop_reason_names();

// "a, b or c": for help texts and error messages.
template <typename E>
std::string joined_names(const std::vector<EnumName<E>> &names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += i + 1 == names.size() ? " or " : ", ";
        out += names[i].name;
    }
    return out;
}

// The name of `value`, or "?" for a value the table does not know.
template <typename E>
const char *name_of(const std::vector<EnumName<E>> &names, E value) {
    for (const EnumName<E> &n : names)
        if (n.value == value) return n.name;
    return "?";
}

}  // namespace cli
