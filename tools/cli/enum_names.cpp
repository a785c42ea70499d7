#include "enum_names.h"

namespace cli {

const std::vector<EnumName<lh_precision>> &precision_names() {
    static const std::vector<EnumName<lh_precision>> names = {{"f32", LH_PRECISION_F32}, {"bf16", LH_PRECISION_BF16}};
    return names;
}

const std::vector<EnumName<lh_attention>> &attention_names() {
    static const std::vector<EnumName<lh_attention>> names = {
        {"full", LH_ATTENTION_FULL}, {"window", LH_ATTENTION_WINDOW}, {"longheads", LH_ATTENTION_LONGHEADS}};
    return names;
}

const std::vector<EnumName<lh_prefill_mode>> &prefill_names() {
    static const std::vector<EnumName<lh_prefill_mode>> names = {{"token", LH_PREFILL_PER_TOKEN},
                                                                 {"block", LH_PREFILL_BLOCK}};
    return names;
}

const std::vector<EnumName<lh_kv_type>> &kv_type_names() {
    static const std::vector<EnumName<lh_kv_type>> names = {
        {"f32", LH_KV_F32}, {"bf16", LH_KV_BF16}, {"q8", LH_KV_Q8}};
    return names;
}

const std::vector<EnumName<lh_chunk_score>> &chunk_score_names() {
    static const std::vector<EnumName<lh_chunk_score>> names = {{"faithful", LH_CHUNK_SCORE_FAITHFUL},
                                                                {"max", LH_CHUNK_SCORE_MAX_KEY}};
    return names;
}

const std::vector<EnumName<lh_stop_reason>> &stop_reason_names() {
    static const std::vector<EnumName<lh_stop_reason>> names = {
        {"none", LH_STOP_NONE},         {"max_tokens", LH_STOP_MAX_TOKENS},     {"eog", LH_STOP_EOG},
        {"stop_string", LH_STOP_STRING}, {"context_full", LH_STOP_CONTEXT_FULL}, {"callback", LH_STOP_CALLBACK}};
    return names;
}

}  // namespace cli
