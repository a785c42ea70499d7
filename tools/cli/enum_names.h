// The library's enums as the flags see them: each is named by the C API's own lh_<enum>_name /
// lh_<enum>_from_name pair, so the CLI lists, accepts and prints exactly the library's names
// (and its aliases, such as "max" for max_key).
#pragma once

#include <string>
#include <vector>

#include "longheads/longheads.h"

namespace cli {

template <typename E>
struct EnumNames {
    const char *(*name)(E);                      // NULL for a value outside the enum
    lh_status (*from_name)(const char *, E *);   // case-insensitive, '-' and '_' alike, aliases
};

inline constexpr EnumNames<lh_precision> kPrecisionNames{lh_precision_name, lh_precision_from_name};
inline constexpr EnumNames<lh_attention> kAttentionNames{lh_attention_name, lh_attention_from_name};
inline constexpr EnumNames<lh_prefill_mode> kPrefillNames{lh_prefill_mode_name, lh_prefill_mode_from_name};
inline constexpr EnumNames<lh_kv_type> kKvTypeNames{lh_kv_type_name, lh_kv_type_from_name};
inline constexpr EnumNames<lh_chunk_score> kChunkScoreNames{lh_chunk_score_name, lh_chunk_score_from_name};
inline constexpr EnumNames<lh_stop_reason> kStopReasonNames{lh_stop_reason_name, lh_stop_reason_from_name};

// Every canonical name, in value order (the values run from 0 until the name is NULL).
template <typename E>
std::vector<std::string> all_names(const EnumNames<E> &names) {
    std::vector<std::string> out;
    for (int v = 0; const char *n = names.name(static_cast<E>(v)); ++v) out.push_back(n);
    return out;
}

// "a, b or c": for help texts and error messages.
template <typename E>
std::string joined_names(const EnumNames<E> &names) {
    std::vector<std::string> all = all_names(names);
    std::string out;
    for (size_t i = 0; i < all.size(); ++i) out += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + all[i];
    return out;
}

// The name of `value`, or "?" for a value outside the enum.
template <typename E>
const char *name_of(const EnumNames<E> &names, E value) {
    const char *n = names.name(value);
    return n ? n : "?";
}

}  // namespace cli
