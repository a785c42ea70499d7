#include "common/enum_names.h"

#include <cstring>

#include "common/error.h"

namespace lh {

namespace {

template <size_t N>
constexpr int32_t count_of(const char *const (&)[N]) {
    return static_cast<int32_t>(N);
}

constexpr const char *kStatus[] = {"ok",           "invalid_argument", "io",      "bad_format",
                                   "unsupported",  "out_of_memory",    "context_full", "buffer_too_small",
                                   "cancelled",    "busy",             "internal",     "numeric"};
constexpr const char *kPrecision[] = {"f32", "bf16", "auto"};
constexpr const char *kAttention[] = {"full", "window", "longheads"};
constexpr const char *kPrefill[] = {"per_token", "block"};
constexpr const char *kKvType[] = {"f32", "bf16", "q8"};
constexpr const char *kChunkScore[] = {"faithful", "max_key", "bound", "bound_mid"};
constexpr const char *kStopReason[] = {"none", "max_tokens", "eog", "string", "context_full", "cancelled"};

// Short spellings the CLI used before the names were unified.
constexpr EnumAlias kPrefillAliases[] = {{"token", LH_PREFILL_PER_TOKEN}};
constexpr EnumAlias kChunkScoreAliases[] = {{"max", LH_CHUNK_SCORE_MAX_KEY}};

const EnumNames kStatusNames{"lh_status", kStatus, count_of(kStatus), nullptr, 0};
const EnumNames kPrecisionNames{"lh_precision", kPrecision, count_of(kPrecision), nullptr, 0};
const EnumNames kAttentionNames{"lh_attention", kAttention, count_of(kAttention), nullptr, 0};
const EnumNames kPrefillNames{"lh_prefill_mode", kPrefill, count_of(kPrefill), kPrefillAliases, 1};
const EnumNames kKvTypeNames{"lh_kv_type", kKvType, count_of(kKvType), nullptr, 0};
const EnumNames kChunkScoreNames{"lh_chunk_score", kChunkScore, count_of(kChunkScore), kChunkScoreAliases, 1};
const EnumNames kStopReasonNames{"lh_stop_reason", kStopReason, count_of(kStopReason), nullptr, 0};

bool same_name(std::string_view given, const char *canonical) {
    const size_t n = std::strlen(canonical);
    if (given.size() != n) return false;
    for (size_t i = 0; i < n; ++i) {
        char c = given[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c == '-') c = '_';
        if (c != canonical[i]) return false;
    }
    return true;
}

}  // namespace

const EnumNames &enum_names(lh_status) { return kStatusNames; }
const EnumNames &enum_names(lh_precision) { return kPrecisionNames; }
const EnumNames &enum_names(lh_attention) { return kAttentionNames; }
const EnumNames &enum_names(lh_prefill_mode) { return kPrefillNames; }
const EnumNames &enum_names(lh_kv_type) { return kKvTypeNames; }
const EnumNames &enum_names(lh_chunk_score) { return kChunkScoreNames; }
const EnumNames &enum_names(lh_stop_reason) { return kStopReasonNames; }

const char *enum_name(const EnumNames &names, int32_t value) {
    return value >= 0 && value < names.count ? names.names[value] : nullptr;
}

bool enum_from_name(const EnumNames &names, std::string_view name, int32_t *out_value) {
    for (int32_t v = 0; v < names.count; ++v) {
        if (same_name(name, names.names[v])) {
            *out_value = v;
            return true;
        }
    }
    for (int32_t i = 0; i < names.n_aliases; ++i) {
        if (same_name(name, names.aliases[i].name)) {
            *out_value = names.aliases[i].value;
            return true;
        }
    }
    return false;
}

std::string enum_name_list(const EnumNames &names) {
    std::string out;
    for (int32_t v = 0; v < names.count; ++v) out += (v ? ", " : "") + std::string(names.names[v]);
    return out;
}

template <typename Enum>
Enum checked_enum(const Enum &field, const char *field_name) {
    static_assert(sizeof(Enum) == sizeof(int32_t), "C enums are int-sized");
    int32_t raw;
    std::memcpy(&raw, &field, sizeof raw);
    const EnumNames &names = enum_names(Enum{});
    if (!enum_name(names, raw)) {
        fail(LH_ERROR_INVALID_ARGUMENT, std::string(field_name) + " " + std::to_string(raw) + " is not a valid " +
                                            names.c_type + " (" + enum_name_list(names) + ")");
    }
    return static_cast<Enum>(raw);
}

template lh_precision checked_enum(const lh_precision &, const char *);
template lh_attention checked_enum(const lh_attention &, const char *);
template lh_prefill_mode checked_enum(const lh_prefill_mode &, const char *);
template lh_kv_type checked_enum(const lh_kv_type &, const char *);
template lh_chunk_score checked_enum(const lh_chunk_score &, const char *);

}  // namespace lh
