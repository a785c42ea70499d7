/* lh_<enum>_name / lh_<enum>_from_name: every value has a canonical name that maps back to it,
 * lists end at the first NULL, spellings are case- and dash-insensitive, aliases work, and
 * unknown names fail with the valid names in the message. Plain C, public header only. */
#include "test_util.h"

/* Every value 0..n-1 has a name that maps back to it; value n and -1 have none. */
#define ROUND_TRIP(ENUM, n)                                                                       \
    do {                                                                                          \
        for (int v = 0; v < (n); ++v) {                                                           \
            const char *name = lh_##ENUM##_name((lh_##ENUM)v);                                    \
            EXPECT(name != NULL && name[0] != '\0');                                              \
            lh_##ENUM back = (lh_##ENUM)-1;                                                       \
            STATUS_MSG(lh_##ENUM##_from_name(name ? name : "", &back), LH_OK, "");                \
            EXPECT((int)back == v);                                                               \
        }                                                                                         \
        EXPECT(lh_##ENUM##_name((lh_##ENUM)(n)) == NULL);                                         \
        EXPECT(lh_##ENUM##_name((lh_##ENUM)-1) == NULL);                                          \
    } while (0)

static void test_round_trips(void) {
    ROUND_TRIP(status, LH_ERROR_NUMERIC + 1);
    ROUND_TRIP(precision, LH_PRECISION_AUTO + 1);
    ROUND_TRIP(attention, LH_ATTENTION_LONGHEADS + 1);
    ROUND_TRIP(prefill_mode, LH_PREFILL_BLOCK + 1);
    ROUND_TRIP(kv_type, LH_KV_Q8 + 1);
    ROUND_TRIP(chunk_score, LH_CHUNK_SCORE_BOUND_MID + 1);
    ROUND_TRIP(stop_reason, LH_STOP_CANCELLED + 1);
}

static void test_canonical_names(void) {
    EXPECT(strcmp(lh_attention_name(LH_ATTENTION_LONGHEADS), "longheads") == 0);
    EXPECT(strcmp(lh_attention_name(LH_ATTENTION_FULL), "full") == 0);
    EXPECT(strcmp(lh_prefill_mode_name(LH_PREFILL_PER_TOKEN), "per_token") == 0);
    EXPECT(strcmp(lh_chunk_score_name(LH_CHUNK_SCORE_MAX_KEY), "max_key") == 0);
    EXPECT(strcmp(lh_chunk_score_name(LH_CHUNK_SCORE_BOUND), "bound") == 0);
    EXPECT(strcmp(lh_chunk_score_name(LH_CHUNK_SCORE_BOUND_MID), "bound_mid") == 0);
    EXPECT(strcmp(lh_kv_type_name(LH_KV_Q8), "q8") == 0);
    EXPECT(strcmp(lh_precision_name(LH_PRECISION_BF16), "bf16") == 0);
    EXPECT(strcmp(lh_stop_reason_name(LH_STOP_CANCELLED), "cancelled") == 0);
    EXPECT(strcmp(lh_stop_reason_name(LH_STOP_EOG), "eog") == 0);
    EXPECT(strcmp(lh_status_name(LH_ERROR_CONTEXT_FULL), "context_full") == 0);
}

static void test_spellings_and_aliases(void) {
    lh_attention a = LH_ATTENTION_FULL;
    STATUS_MSG(lh_attention_from_name("LongHeads", &a), LH_OK, "");
    EXPECT(a == LH_ATTENTION_LONGHEADS);
    lh_prefill_mode p = LH_PREFILL_BLOCK;
    STATUS_MSG(lh_prefill_mode_from_name("per-token", &p), LH_OK, "");
    EXPECT(p == LH_PREFILL_PER_TOKEN);
    p = LH_PREFILL_BLOCK;
    STATUS_MSG(lh_prefill_mode_from_name("token", &p), LH_OK, "");
    EXPECT(p == LH_PREFILL_PER_TOKEN);
    lh_chunk_score c = LH_CHUNK_SCORE_FAITHFUL;
    STATUS_MSG(lh_chunk_score_from_name("max", &c), LH_OK, "");
    EXPECT(c == LH_CHUNK_SCORE_MAX_KEY);
    lh_kv_type k = LH_KV_F32;
    STATUS_MSG(lh_kv_type_from_name("BF16", &k), LH_OK, "");
    EXPECT(k == LH_KV_BF16);
}

static void test_bad_names(void) {
    lh_attention a = LH_ATTENTION_WINDOW;
    STATUS_MSG(lh_attention_from_name("ful", &a), LH_ERROR_INVALID_ARGUMENT, "full, window, longheads");
    EXPECT(a == LH_ATTENTION_WINDOW); /* untouched on failure */
    STATUS_MSG(lh_attention_from_name("", &a), LH_ERROR_INVALID_ARGUMENT, "lh_attention");
    STATUS_MSG(lh_attention_from_name("full ", &a), LH_ERROR_INVALID_ARGUMENT, "");
    STATUS_MSG(lh_attention_from_name(NULL, &a), LH_ERROR_INVALID_ARGUMENT, "name is NULL");
    STATUS_MSG(lh_attention_from_name("full", NULL), LH_ERROR_INVALID_ARGUMENT, "out_value is NULL");
    lh_kv_type k = LH_KV_F32;
    STATUS_MSG(lh_kv_type_from_name("f16", &k), LH_ERROR_INVALID_ARGUMENT, "f32, bf16, q8");
    /* A success clears the message of the failure before it. */
    STATUS_MSG(lh_kv_type_from_name("q8", &k), LH_OK, "");
    EXPECT(lh_last_error()[0] == '\0');
}

/* Parameter structs with an enum value that has no name are refused, naming the field. */
static void test_invalid_enum_fields(const char *model_path) {
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.precision = (lh_precision)7;
    lh_model *model = NULL;
    STATUS_MSG(lh_model_load(model_path, &mp, &model), LH_ERROR_INVALID_ARGUMENT,
               "precision 7 is not a valid lh_precision (f32, bf16, auto)");
    EXPECT(model == NULL);
}

int main(int argc, char **argv) {
    test_round_trips();
    test_canonical_names();
    test_spellings_and_aliases();
    test_bad_names();
    if (argc > 1) test_invalid_enum_fields(argv[1]);
    return report();
}
