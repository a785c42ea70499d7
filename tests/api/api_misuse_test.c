/* C API misuse: every entry point with NULL handles, NULL out-pointers, wrong struct sizes,
 * too-small buffers, out-of-range ids and parameters. Each must return a status (with a message
 * from lh_last_error()) and never crash, write past a buffer, or touch an out-pointer on failure.
 * Plain C, public header only, linked against the shared library.
 *
 *   api_misuse_test MODEL.gguf      (stories260K: vocab 512, trained context 512)
 * Prints "N passed, M failed"; exit status 1 on any failure. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longheads/longheads.h"

static int passed = 0, failed = 0;

#define EXPECT(cond)                                                                  \
    do {                                                                              \
        if (cond) {                                                                   \
            ++passed;                                                                 \
        } else {                                                                      \
            ++failed;                                                                 \
            fprintf(stderr, "%s:%d: FAILED: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    lh_last_error());                                                 \
        }                                                                             \
    } while (0)

/* The call returns `want`, and a failure leaves a message. (What lh_last_error() says after a
 * success is not checked: the header keeps the last failure's message, the library clears it.) */
#define STATUS(call, want)                                                                      \
    do {                                                                                        \
        lh_status got_ = (call);                                                                \
        const char *msg_ = lh_last_error();                                                     \
        if (got_ == (want) && (got_ == LH_OK || msg_[0] != '\0')) {            \
            ++passed;                                                                           \
        } else {                                                                                \
            ++failed;                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s -> %d (%s), want %d (%s); message: '%s'\n", __FILE__, \
                    __LINE__, #call, (int)got_, lh_status_string(got_), (int)(want),            \
                    lh_status_string(want), msg_);                                              \
        }                                                                                       \
    } while (0)

/* Like STATUS, and the message contains `text`. */
#define STATUS_MSG(call, want, text)                                                          \
    do {                                                                                      \
        lh_status got2_ = (call);                                                             \
        if (got2_ == (want) && strstr(lh_last_error(), (text)) != NULL) {                     \
            ++passed;                                                                         \
        } else {                                                                              \
            ++failed;                                                                         \
            fprintf(stderr, "%s:%d: FAILED: %s -> %d (%s), want %d with '%s'; message: '%s'\n", \
                    __FILE__, __LINE__, #call, (int)got2_, lh_status_string(got2_), (int)(want), \
                    (text), lh_last_error());                                                 \
        }                                                                                     \
    } while (0)

#define SENTINEL ((void *)(uintptr_t)0x5eed)
static const unsigned char CANARY = 0xA5;

static int canary_intact(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != CANARY) return 0;
    return 1;
}

static void test_errors_and_version(void) {
    for (int s = LH_OK; s <= LH_ERROR_INTERNAL; ++s) {
        const char *t = lh_status_string((lh_status)s);
        EXPECT(t != NULL && t[0] != '\0');
    }
    EXPECT(strcmp(lh_status_string((lh_status)999), "unknown status") == 0);
    EXPECT(strcmp(lh_status_string((lh_status)-1), "unknown status") == 0);
    EXPECT(lh_last_error() != NULL);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", LH_VERSION_MAJOR, LH_VERSION_MINOR, LH_VERSION_PATCH);
    EXPECT(strcmp(lh_version(), want) == 0);
    const char *level = lh_cpu_level();
    EXPECT(strcmp(level, "generic") == 0 || strcmp(level, "avx2") == 0 || strcmp(level, "avx512") == 0 ||
           strcmp(level, "avx512_bf16") == 0);
    EXPECT(lh_cpu_level() == level); /* static storage, chosen once */
    /* Every free accepts NULL; every params_init accepts NULL. */
    lh_model_free(NULL);
    lh_context_free(NULL);
    lh_sampler_free(NULL);
    lh_generation_free(NULL);
    lh_context_cancel(NULL);
    lh_model_params_init_sized(NULL, sizeof(lh_model_params));
    lh_context_params_init_sized(NULL, sizeof(lh_context_params));
    lh_sampler_params_init_sized(NULL, sizeof(lh_sampler_params));
    lh_generate_params_init_sized(NULL, sizeof(lh_generate_params));
    /* A size too small for struct_size writes nothing. */
    lh_context_params tiny;
    memset(&tiny, 0x5a, sizeof tiny);
    lh_context_params_init_sized(&tiny, 2);
    EXPECT(tiny.struct_size == 0x5a5a5a5au);
    /* An older (smaller) struct: nothing past its size is written. */
    unsigned char older[sizeof(lh_context_params) + 16];
    memset(older, CANARY, sizeof older);
    lh_context_params_init_sized((lh_context_params *)(void *)older, 12);
    EXPECT(((lh_context_params *)(void *)older)->struct_size == 12 && canary_intact(older + 12, sizeof older - 12));
    EXPECT(lh_generation_stop_reason(NULL) == LH_STOP_NONE);
    EXPECT(lh_token_is_eog(NULL, 2) == 0);
}

static lh_model *test_model_load(const char *path) {
    lh_model *model = (lh_model *)SENTINEL;
    lh_model_params p;
    lh_model_params_init(&p);
    EXPECT(p.struct_size == sizeof p);

    STATUS_MSG(lh_model_load(NULL, NULL, &model), LH_ERROR_INVALID_ARGUMENT, "path");
    STATUS_MSG(lh_model_load(path, NULL, NULL), LH_ERROR_INVALID_ARGUMENT, "out_model");
    STATUS_MSG(lh_model_load("/no/such/dir/model.gguf", NULL, &model), LH_ERROR_IO, "/no/such/dir/model.gguf");
    STATUS(lh_model_load("/", NULL, &model), LH_ERROR_IO);
    STATUS(lh_model_load("", NULL, &model), LH_ERROR_IO);
    EXPECT(model == (lh_model *)SENTINEL); /* out-pointers are written only on LH_OK */

    p.precision = (lh_precision)7;
    STATUS_MSG(lh_model_load(path, &p, &model), LH_ERROR_INVALID_ARGUMENT, "precision");
    lh_model_params_init(&p);
    p.n_threads = -1;
    STATUS_MSG(lh_model_load(path, &p, &model), LH_ERROR_INVALID_ARGUMENT, "n_threads");
    p.n_threads = 5000;
    STATUS_MSG(lh_model_load(path, &p, &model), LH_ERROR_INVALID_ARGUMENT, "n_threads");
    p.n_threads = INT32_MIN;
    STATUS(lh_model_load(path, &p, &model), LH_ERROR_INVALID_ARGUMENT);
    EXPECT(model == (lh_model *)SENTINEL);

    /* An older caller's smaller struct: only struct_size is read, the garbage after it is not. */
    memset(&p, 0x7f, sizeof p);
    p.struct_size = sizeof(uint32_t);
    lh_model *m = NULL;
    STATUS(lh_model_load(path, &p, &m), LH_OK);
    lh_model_free(m);
    /* A newer caller's larger struct_size is clamped; struct_size 0 (never initialised) is refused. */
    lh_model_params_init(&p);
    p.struct_size = 4096;
    m = NULL;
    STATUS(lh_model_load(path, &p, &m), LH_OK);
    lh_model_free(m);
    lh_model_params_init(&p);
    p.struct_size = 0;
    p.n_threads = 1;
    m = NULL;
    STATUS_MSG(lh_model_load(path, &p, &m), LH_ERROR_INVALID_ARGUMENT, "lh_model_params.struct_size is 0");
    EXPECT(m == NULL);
    p.struct_size = 3;
    STATUS_MSG(lh_model_load(path, &p, &m), LH_ERROR_INVALID_ARGUMENT, "struct_size is 3");

    lh_model_params_init(&p);
    p.n_threads = 1;
    model = NULL;
    STATUS(lh_model_load(path, &p, &model), LH_OK);
    return model;
}

static void test_model_queries(lh_model *model) {
    lh_model_info info;
    STATUS(lh_model_get_info(NULL, &info), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_get_info(model, NULL), LH_ERROR_INVALID_ARGUMENT);
    memset(&info, 0, sizeof info);
    STATUS_MSG(lh_model_get_info(model, &info), LH_ERROR_INVALID_ARGUMENT, "lh_model_info.struct_size is 0");
    info.struct_size = sizeof info;
    STATUS(lh_model_get_info(model, &info), LH_OK);
    EXPECT(info.n_vocab == 512 && info.n_ctx_train == 512);

    /* A smaller (older) struct: nothing past struct_size is written. */
    unsigned char raw[sizeof(lh_model_info) + 64];
    memset(raw, CANARY, sizeof raw);
    uint32_t small = (uint32_t)offsetof(lh_model_info, n_vocab);
    memcpy(raw, &small, sizeof small);
    STATUS(lh_model_get_info(model, (lh_model_info *)(void *)raw), LH_OK);
    EXPECT(canary_intact(raw + small, sizeof raw - small));

    int32_t count = -7;
    STATUS(lh_model_tensor_count(NULL, &count), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_tensor_count(model, NULL), LH_ERROR_INVALID_ARGUMENT);
    EXPECT(count == -7);
    STATUS(lh_model_tensor_count(model, &count), LH_OK);
    EXPECT(count > 0);

    lh_tensor_info t;
    STATUS(lh_model_tensor_get(NULL, 0, &t), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_tensor_get(model, 0, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS_MSG(lh_model_tensor_get(model, -1, &t), LH_ERROR_INVALID_ARGUMENT, "-1");
    STATUS(lh_model_tensor_get(model, count, &t), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_tensor_get(model, INT32_MAX, &t), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_tensor_get(model, INT32_MIN, &t), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_tensor_get(model, count - 1, &t), LH_OK);
    EXPECT(t.name != NULL && t.type_name != NULL && t.n_dims >= 1 && t.n_dims <= 4);

    char buf[64];
    size_t len = 12345;
    STATUS(lh_model_meta_get(NULL, "general.architecture", buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_model_meta_get(model, NULL, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS_MSG(lh_model_meta_get(model, "no.such.key", buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "no.such.key");
    STATUS(lh_model_meta_get(model, "", buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    /* Size query, then exact fit without room for the NUL, then fits. */
    STATUS(lh_model_meta_get(model, "general.architecture", NULL, 0, &len), LH_ERROR_BUFFER_TOO_SMALL);
    EXPECT(len == 5);
    memset(buf, CANARY, sizeof buf);
    STATUS(lh_model_meta_get(model, "general.architecture", buf, 5, &len), LH_ERROR_BUFFER_TOO_SMALL);
    EXPECT(canary_intact((unsigned char *)buf + 5, sizeof buf - 5));
    STATUS(lh_model_meta_get(model, "general.architecture", NULL, 100, &len), LH_ERROR_BUFFER_TOO_SMALL);
    STATUS(lh_model_meta_get(model, "general.architecture", buf, 6, &len), LH_OK);
    EXPECT(strcmp(buf, "llama") == 0 && len == 5);
    STATUS(lh_model_meta_get(model, "general.architecture", buf, 6, NULL), LH_OK);
    STATUS(lh_model_meta_get(model, "general.architecture", buf, 2, NULL), LH_ERROR_BUFFER_TOO_SMALL);
}

static void test_tokens(lh_model *model) {
    int32_t ids[64];
    size_t n = 999;
    const char *text = "Once upon a time";
    STATUS(lh_tokenize(NULL, text, strlen(text), 1, 0, ids, 64, &n), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_tokenize(model, NULL, 5, 1, 0, ids, 64, &n), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_tokenize(model, text, strlen(text), 1, 0, ids, 64, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_tokenize(model, text, strlen(text), 1, 0, NULL, 64, &n), LH_ERROR_INVALID_ARGUMENT);
    EXPECT(n == 999);
    /* NULL text of length 0 is the empty text. */
    STATUS(lh_tokenize(model, NULL, 0, 0, 0, ids, 64, &n), LH_OK);
    EXPECT(n == 0);
    STATUS(lh_tokenize(model, NULL, 0, 1, 0, ids, 64, &n), LH_OK);
    EXPECT(n == 1);
    /* Size query and too-small buffer: *out_n = ids needed, nothing written past capacity. */
    size_t need = 0;
    STATUS(lh_tokenize(model, text, strlen(text), 1, 0, NULL, 0, &need), LH_ERROR_BUFFER_TOO_SMALL);
    EXPECT(need > 2 && need < 64);
    int32_t small[8];
    memset(small, CANARY, sizeof small);
    STATUS(lh_tokenize(model, text, strlen(text), 1, 0, small, 2, &n), LH_ERROR_BUFFER_TOO_SMALL);
    EXPECT(n == need);
    EXPECT(canary_intact((unsigned char *)(small + 2), sizeof small - 2 * sizeof(int32_t)));
    STATUS(lh_tokenize(model, text, strlen(text), 1, 0, ids, need, &n), LH_OK);
    EXPECT(n == need);
    /* Hostile text: embedded NULs, invalid UTF-8, lone continuation bytes, control-token text. */
    static const char hostile[] = "a\0b\xff\xfe\x80\xc3<s></s><unk>\xf0\x9f\x98";
    STATUS(lh_tokenize(model, hostile, sizeof hostile - 1, 1, 1, ids, 64, &n), LH_OK);
    STATUS(lh_tokenize(model, hostile, sizeof hostile - 1, 0, 0, ids, 64, &n), LH_OK);

    char buf[256];
    size_t len = 777;
    int32_t good[3] = {1, 100, 200};
    STATUS(lh_detokenize(NULL, good, 3, 0, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_detokenize(model, NULL, 3, 0, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_detokenize(model, good, 3, 0, buf, sizeof buf, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS_MSG(lh_detokenize(model, good, 3, -1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT, "flags");
    STATUS(lh_detokenize(model, good, 3, 4, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_detokenize(model, good, 3, INT32_MIN, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    int32_t bad_ids[][2] = {{5, -1}, {5, 512}, {5, INT32_MAX}, {INT32_MIN, 5}};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; ++i)
        STATUS_MSG(lh_detokenize(model, bad_ids[i], 2, 0, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
                   "out of range");
    EXPECT(len == 777);
    STATUS(lh_detokenize(model, NULL, 0, 0, NULL, 0, &len), LH_OK);
    EXPECT(len == 0);
    STATUS(lh_detokenize(model, good, 3, 0, NULL, 0, &len), LH_ERROR_BUFFER_TOO_SMALL);
    size_t full = len;
    EXPECT(full > 0);
    memset(buf, CANARY, sizeof buf);
    STATUS(lh_detokenize(model, good, 3, 0, buf, full - 1, &len), LH_ERROR_BUFFER_TOO_SMALL);
    EXPECT(len == full && canary_intact((unsigned char *)buf + full - 1, sizeof buf - full + 1));
    STATUS(lh_detokenize(model, good, 3, 3, buf, full + 8, &len), LH_OK);

    STATUS(lh_token_piece(NULL, 5, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_token_piece(model, 5, buf, sizeof buf, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS_MSG(lh_token_piece(model, -1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT, "-1");
    STATUS(lh_token_piece(model, 512, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_token_piece(model, INT32_MIN, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_token_piece(model, 1, NULL, 0, &len), LH_ERROR_BUFFER_TOO_SMALL);
    STATUS(lh_token_piece(model, 300, buf, sizeof buf, &len), LH_OK);

    EXPECT(lh_token_is_eog(model, -1) == 0);
    EXPECT(lh_token_is_eog(model, 512) == 0);
    EXPECT(lh_token_is_eog(model, INT32_MIN) == 0);
    EXPECT(lh_token_is_eog(model, INT32_MAX) == 0);
    EXPECT(lh_token_is_eog(model, 2) == 1);
}

static void test_context_params(lh_model *model) {
    lh_context *ctx = (lh_context *)SENTINEL;
    lh_context_params p;
    lh_context_params_init(&p);
    EXPECT(p.struct_size == sizeof p);
    STATUS(lh_context_create(NULL, &p, &ctx), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_create(model, &p, NULL), LH_ERROR_INVALID_ARGUMENT);

#define BAD_PARAM(field, value, text)                                                        \
    do {                                                                                     \
        lh_context_params_init(&p);                                                          \
        p.n_threads = 1;                                                                     \
        p.field = value;                                                                     \
        STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, text);     \
    } while (0)
    BAD_PARAM(n_ctx, -1, "n_ctx");
    BAD_PARAM(n_ctx, INT32_MIN, "n_ctx");
    BAD_PARAM(n_ctx, (1 << 24) + 1, "n_ctx");
    BAD_PARAM(n_threads, -1, "n_threads");
    BAD_PARAM(n_threads, 100000, "n_threads");
    BAD_PARAM(n_batch, -1, "n_batch");
    BAD_PARAM(attention, (lh_attention)3, "attention");
    BAD_PARAM(attention, (lh_attention)-1, "attention");
    BAD_PARAM(prefill_mode, (lh_prefill_mode)2, "prefill_mode");
    BAD_PARAM(kv_type, (lh_kv_type)9, "kv_type");
    BAD_PARAM(chunk_score, (lh_chunk_score)4, "chunk_score");
    BAD_PARAM(local_chunks, -1, "local_chunks");
    BAD_PARAM(chunk_size, -32, "chunk_size");
    BAD_PARAM(attn_len, -1, "attn_len");
    BAD_PARAM(begin_len, -1, "begin_len");
    BAD_PARAM(n_sinks, -4, "n_sinks");
#undef BAD_PARAM
#define LH_PARAMS(w, L)                         \
    do {                                        \
        lh_context_params_init(&p);             \
        p.n_threads = 1;                        \
        p.attention = LH_ATTENTION_LONGHEADS;   \
        p.chunk_size = (w);                     \
        p.attn_len = (L);                       \
    } while (0)
    LH_PARAMS(32, 100); /* L not a multiple of w */
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "not a multiple of chunk_size");
    LH_PARAMS(32, 64); /* fewer than 3 chunks */
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "at least 3");
    LH_PARAMS(32, 1024); /* L > trained context 512 without the override */
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "allow_attn_len_over_trained");
    LH_PARAMS(7, 21 * 7); /* w not a power of two is allowed; 21 chunks */
    p.n_ctx = 1024;
    lh_context *c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    lh_context_free(c);
    LH_PARAMS(32, 1024);
    p.allow_attn_len_over_trained = 1;
    p.n_ctx = 2048;
    c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    lh_context_free(c);
    LH_PARAMS(32, 256); /* B > trained context 512 needs the same override as L */
    p.begin_len = 1024;
    p.n_ctx = 2048;
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "begin_len 1024");
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "allow_attn_len_over_trained");
    EXPECT(ctx == (lh_context *)SENTINEL);
    p.allow_attn_len_over_trained = 1;
    c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    lh_context_free(c);
    LH_PARAMS(0, 0); /* 0 = defaults from the trained context */
    c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    lh_context_params got;
    memset(&got, 0, sizeof got);
    got.struct_size = sizeof got;
    STATUS(lh_context_get_params(c, &got), LH_OK);
    /* n_ctx 0 with LongHeads: 32 x T (the model's KV cache for 16K tokens is far below half
       the memory of any machine this runs on) */
    EXPECT(got.chunk_size > 0 && got.attn_len % got.chunk_size == 0 && got.n_ctx == 32 * 512 && got.n_threads == 1);
    lh_context_free(c);
    lh_context_params_init(&p); /* full attention: n_ctx 0 is the trained context */
    p.attention = LH_ATTENTION_FULL;
    c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    STATUS(lh_context_get_params(c, &got), LH_OK);
    EXPECT(got.n_ctx == 512);
    lh_context_free(c);
    lh_context_params_init(&p); /* a budget lowers the default: half of it for the KV cache */
    p.memory_budget_bytes = 8u << 20;
    uint64_t kv_at_n = 0;
    c = NULL;
    STATUS(lh_context_create(model, &p, &c), LH_OK);
    STATUS(lh_context_get_params(c, &got), LH_OK);
    STATUS(lh_context_estimate_kv_bytes(model, &p, got.n_ctx, &kv_at_n), LH_OK);
    EXPECT(got.n_ctx > 512 && got.n_ctx < 32 * 512 && kv_at_n <= (4u << 20));
    lh_context_free(c);
    lh_context_params_init(&p);
    p.attention = LH_ATTENTION_WINDOW;
    p.attn_len = 64;
    p.n_sinks = 64;
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "n_sinks");
    p.attn_len = 1024;
    p.n_sinks = 4;
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_INVALID_ARGUMENT, "allow_attn_len_over_trained");
    EXPECT(ctx == (lh_context *)SENTINEL);

    /* Memory budget: refused up front with the bytes it needs. */
    lh_context_params_init(&p);
    p.n_threads = 1;
    p.memory_budget_bytes = 1000;
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_OUT_OF_MEMORY, "bytes");
    STATUS_MSG(lh_context_create(model, &p, &ctx), LH_ERROR_OUT_OF_MEMORY, "1000");
    EXPECT(ctx == (lh_context *)SENTINEL);

    /* Estimates. */
    uint64_t bytes = 0, bytes2 = 0;
    lh_context_params_init(&p);
    STATUS(lh_context_estimate_kv_bytes(NULL, &p, 100, &bytes), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_estimate_kv_bytes(model, &p, 100, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_estimate_kv_bytes(model, &p, -1, &bytes), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_estimate_kv_bytes(model, NULL, 100, &bytes), LH_OK);
    STATUS(lh_context_estimate_kv_bytes(model, &p, 1 << 20, &bytes), LH_OK);
    EXPECT(bytes > 0);
    /* Absurd token counts must not wrap around to a small number. */
    lh_status s = lh_context_estimate_kv_bytes(model, &p, INT64_MAX, &bytes2);
    EXPECT(s == LH_ERROR_INVALID_ARGUMENT || (s == LH_OK && bytes2 >= bytes));
    s = lh_context_estimate_kv_bytes(model, &p, (int64_t)1 << 40, &bytes2);
    EXPECT(s == LH_ERROR_INVALID_ARGUMENT || (s == LH_OK && bytes2 >= bytes));
    s = lh_context_estimate_kv_bytes(model, &p, (int64_t)1 << 62, &bytes2); /* 1280 * 2^62 = 0 mod 2^64 */
    EXPECT(s == LH_ERROR_INVALID_ARGUMENT || (s == LH_OK && bytes2 >= bytes));
    p.n_ctx = -5;
    STATUS(lh_context_estimate_kv_bytes(model, &p, 100, &bytes), LH_ERROR_INVALID_ARGUMENT);
    /* Old/new struct sizes; 0 is refused. */
    memset(&p, 0x7f, sizeof p);
    p.struct_size = sizeof(uint32_t);
    STATUS(lh_context_estimate_kv_bytes(model, &p, 100, &bytes), LH_OK);
    lh_context_params_init(&p);
    p.struct_size = 0;
    STATUS_MSG(lh_context_estimate_kv_bytes(model, &p, 100, &bytes), LH_ERROR_INVALID_ARGUMENT, "struct_size is 0");
    lh_context *never = NULL;
    STATUS_MSG(lh_context_create(model, &p, &never), LH_ERROR_INVALID_ARGUMENT, "lh_context_params.struct_size");
    EXPECT(never == NULL);
}

static void test_context_use(lh_model *model) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 1;
    p.n_ctx = 64;
    lh_context *ctx = NULL;
    STATUS(lh_context_create(model, &p, &ctx), LH_OK);
    if (!ctx) return;

    lh_context_params got;
    STATUS(lh_context_get_params(NULL, &got), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_get_params(ctx, NULL), LH_ERROR_INVALID_ARGUMENT);
    unsigned char raw[sizeof(lh_context_params) + 32];
    memset(raw, CANARY, sizeof raw);
    uint32_t small = (uint32_t)offsetof(lh_context_params, n_batch);
    memcpy(raw, &small, sizeof small);
    STATUS(lh_context_get_params(ctx, (lh_context_params *)(void *)raw), LH_OK);
    EXPECT(canary_intact(raw + small, sizeof raw - small));

    int32_t n_past = -3;
    STATUS(lh_context_n_past(NULL, &n_past), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_n_past(ctx, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_reset(NULL), LH_ERROR_INVALID_ARGUMENT);

    const float *logits = (const float *)SENTINEL;
    float copy[600];
    STATUS(lh_context_logits(ctx, -1, &logits), LH_ERROR_INVALID_ARGUMENT); /* nothing evaluated yet */
    EXPECT(logits == (const float *)SENTINEL);
    STATUS(lh_context_copy_logits(ctx, -1, copy, 600), LH_ERROR_INVALID_ARGUMENT);

    int32_t toks[4] = {1, 100, 200, 300};
    int32_t bad[3] = {1, 512, 3};
    STATUS(lh_context_eval(NULL, toks, 4, 0), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_eval(ctx, NULL, 4, 0), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_eval(ctx, toks, 0, 0), LH_ERROR_INVALID_ARGUMENT);
    STATUS_MSG(lh_context_eval(ctx, bad, 3, 0), LH_ERROR_INVALID_ARGUMENT, "512");
    bad[1] = -1;
    STATUS(lh_context_eval(ctx, bad, 3, 0), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_n_past(ctx, &n_past), LH_OK);
    EXPECT(n_past == 0); /* nothing evaluated */

    int32_t many[65];
    for (int i = 0; i < 65; ++i) many[i] = 1 + i;
    STATUS(lh_context_eval(ctx, many, 65, 0), LH_ERROR_CONTEXT_FULL);
    STATUS(lh_context_n_past(ctx, &n_past), LH_OK);
    EXPECT(n_past == 0);

    STATUS(lh_context_eval(ctx, toks, 4, 1), LH_OK);
    STATUS(lh_context_n_past(ctx, &n_past), LH_OK);
    EXPECT(n_past == 4);
    STATUS(lh_context_eval(ctx, many, 61, 0), LH_ERROR_CONTEXT_FULL); /* 4 + 61 > 64 */
    STATUS(lh_context_logits(NULL, 0, &logits), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_logits(ctx, 0, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_logits(ctx, 0, &logits), LH_OK);
    STATUS(lh_context_logits(ctx, 3, &logits), LH_OK);
    STATUS(lh_context_logits(ctx, -1, &logits), LH_OK);
    STATUS(lh_context_logits(ctx, 4, &logits), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_logits(ctx, -2, &logits), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_logits(ctx, INT32_MIN, &logits), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_copy_logits(NULL, 0, copy, 600), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_context_copy_logits(ctx, 0, NULL, 600), LH_ERROR_INVALID_ARGUMENT);
    memset(copy, CANARY, sizeof copy);
    STATUS_MSG(lh_context_copy_logits(ctx, 0, copy, 511), LH_ERROR_BUFFER_TOO_SMALL, "512");
    EXPECT(canary_intact((unsigned char *)copy, sizeof copy));
    STATUS(lh_context_copy_logits(ctx, 0, copy, 512), LH_OK);
    EXPECT(canary_intact((unsigned char *)(copy + 512), sizeof copy - 512 * sizeof(float)));
    STATUS(lh_context_copy_logits(ctx, 9, copy, 600), LH_ERROR_INVALID_ARGUMENT);

    /* Cancel before a call: the flag clears when the next call starts. */
    lh_context_cancel(ctx);
    STATUS(lh_context_eval(ctx, toks, 1, 0), LH_OK);
    STATUS(lh_context_reset(ctx), LH_OK);
    STATUS(lh_context_n_past(ctx, &n_past), LH_OK);
    EXPECT(n_past == 0);
    lh_context_free(ctx);
}

static void test_sampler(void) {
    lh_sampler *s = (lh_sampler *)SENTINEL;
    lh_sampler_params p;
    lh_sampler_params_init(&p);
    EXPECT(p.struct_size == sizeof p);
    STATUS(lh_sampler_create(&p, NULL), LH_ERROR_INVALID_ARGUMENT);

#define BAD_SAMPLER(field, value, text)                                              \
    do {                                                                             \
        lh_sampler_params_init(&p);                                                  \
        p.field = value;                                                             \
        STATUS_MSG(lh_sampler_create(&p, &s), LH_ERROR_INVALID_ARGUMENT, text);      \
    } while (0)
    BAD_SAMPLER(temperature, NAN, "temperature");
    BAD_SAMPLER(top_p, 1.5f, "top_p");
    BAD_SAMPLER(top_p, -0.1f, "top_p");
    BAD_SAMPLER(top_p, 0.0f, "top_p");
    BAD_SAMPLER(top_p, NAN, "top_p");
    BAD_SAMPLER(min_p, -0.5f, "min_p");
    BAD_SAMPLER(min_p, 1.5f, "min_p");
    BAD_SAMPLER(min_p, NAN, "min_p");
    BAD_SAMPLER(repeat_penalty, 0.0f, "repeat_penalty");
    BAD_SAMPLER(repeat_penalty, -1.0f, "repeat_penalty");
    BAD_SAMPLER(repeat_penalty, INFINITY, "repeat_penalty");
    BAD_SAMPLER(repeat_penalty, NAN, "repeat_penalty");
    BAD_SAMPLER(repeat_last_n, -1, "repeat_last_n");
#undef BAD_SAMPLER
    EXPECT(s == (lh_sampler *)SENTINEL);

    float logits[10] = {0, 1, 2, 9, 3, 4, 5, 6, 7, 8};
    int32_t tok = -9;
    /* Negative temperature = greedy (allowed); so is a huge negative one. */
    lh_sampler_params_init(&p);
    p.temperature = -1.0f;
    s = NULL;
    STATUS(lh_sampler_create(&p, &s), LH_OK);
    STATUS(lh_sampler_sample(s, logits, 10, &tok), LH_OK);
    EXPECT(tok == 3);
    STATUS(lh_sampler_sample(NULL, logits, 10, &tok), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_sample(s, NULL, 10, &tok), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_sample(s, logits, 10, NULL), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_sample(s, logits, 0, &tok), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_sample(s, logits, -10, &tok), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_sample(s, logits, INT32_MIN, &tok), LH_ERROR_INVALID_ARGUMENT);
    int32_t hist[4] = {-5, 100000, INT32_MIN, 3};
    STATUS(lh_sampler_accept(NULL, hist, 4), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_accept(s, NULL, 4), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_sampler_accept(s, NULL, 0), LH_OK);
    lh_sampler_free(s);

    /* Out-of-range history ids with the repetition penalty on, non-finite logits: no crash, a token
     * in range. */
    lh_sampler_params_init(&p);
    p.repeat_penalty = 1.3f;
    p.temperature = 0.7f;
    p.top_k = 1000;
    s = NULL;
    STATUS(lh_sampler_create(&p, &s), LH_OK);
    STATUS(lh_sampler_accept(s, hist, 4), LH_OK);
    float weird[10] = {NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, 0, NAN, 1e-30f, -0.0f, 5};
    for (int i = 0; i < 50; ++i) {
        STATUS(lh_sampler_sample(s, weird, 10, &tok), LH_OK);
        EXPECT(tok >= 0 && tok < 10);
    }
    float all_nan[4] = {NAN, NAN, -INFINITY, NAN};
    STATUS(lh_sampler_sample(s, all_nan, 4, &tok), LH_OK);
    EXPECT(tok >= 0 && tok < 4);
    STATUS(lh_sampler_sample(s, logits, 1, &tok), LH_OK);
    EXPECT(tok == 0);
    lh_sampler_free(s);

    /* Defaults with NULL params; a top_k far above n_vocab; an infinite temperature. */
    s = NULL;
    STATUS(lh_sampler_create(NULL, &s), LH_OK);
    lh_sampler_free(s);
    lh_sampler_params_init(&p);
    p.top_k = INT32_MAX;
    p.temperature = INFINITY;
    p.repeat_last_n = INT32_MAX;
    lh_status st = lh_sampler_create(&p, &s);
    EXPECT(st == LH_OK || st == LH_ERROR_INVALID_ARGUMENT);
    if (st == LH_OK) {
        STATUS(lh_sampler_accept(s, hist, 4), LH_OK);
        STATUS(lh_sampler_sample(s, logits, 10, &tok), LH_OK);
        EXPECT(tok >= 0 && tok < 10);
        lh_sampler_free(s);
    }
}

static int32_t stop_after_two(const char *piece, size_t len, int32_t token, void *user) {
    (void)piece;
    (void)len;
    (void)token;
    int *calls = (int *)user;
    return ++*calls >= 2;
}

static void test_generation(lh_model *model) {
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_threads = 1;
    cp.n_ctx = 64;
    lh_context *ctx = NULL;
    STATUS(lh_context_create(model, &cp, &ctx), LH_OK);
    if (!ctx) return;

    lh_sampler_params sp;
    lh_sampler_params_init(&sp);
    sp.temperature = 0.0f;
    lh_generate_params p;
    lh_generate_params_init(&p);
    EXPECT(p.struct_size == sizeof p && p.sampling == NULL);
    p.sampling = &sp;
    p.max_tokens = 8;
    lh_generation *gen = (lh_generation *)SENTINEL;
    const char *prompt = "Once upon a time";
    size_t plen = strlen(prompt);
    STATUS(lh_generation_start(NULL, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_start(ctx, NULL, 3, &p, &gen), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_start(ctx, prompt, plen, &p, NULL), LH_ERROR_INVALID_ARGUMENT);
    p.n_stop = 2;
    p.stop = NULL;
    STATUS(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT);
    const char *stops[3] = {"x", NULL, "y"};
    p.stop = stops;
    p.n_stop = 3;
    STATUS(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT);
    p.n_stop = 100000;
    STATUS(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT);
    p.stop = NULL;
    p.n_stop = 0;
    p.struct_size = 0;
    STATUS_MSG(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT, "lh_generate_params.struct_size");
    p.struct_size = sizeof p;
    sp.struct_size = 0;
    STATUS_MSG(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT, "lh_sampler_params.struct_size");
    sp.struct_size = sizeof sp;
    sp.temperature = NAN;
    STATUS_MSG(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT, "temperature");
    sp.temperature = 0.0f;
    sp.top_p = 2.0f;
    STATUS_MSG(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_ERROR_INVALID_ARGUMENT, "top_p");
    sp.top_p = 1.0f;
    p.max_tokens = -1;
    lh_status s = lh_generation_start(ctx, prompt, plen, &p, &gen);
    EXPECT(s == LH_ERROR_INVALID_ARGUMENT || s == LH_OK);
    if (s == LH_OK) lh_generation_free(gen), gen = (lh_generation *)SENTINEL;
    STATUS(lh_context_reset(ctx), LH_OK);
    EXPECT(gen == (lh_generation *)SENTINEL);
    /* A prompt longer than the context. */
    char longp[2048];
    for (size_t i = 0; i + 1 < sizeof longp; ++i) longp[i] = (char)('a' + i % 26);
    longp[sizeof longp - 1] = '\0';
    p.max_tokens = 4;
    STATUS(lh_generation_start(ctx, longp, strlen(longp), &p, &gen), LH_ERROR_CONTEXT_FULL);
    STATUS(lh_context_reset(ctx), LH_OK);

    /* The pull loop and its out-pointers; calls after the end keep saying done. */
    p.max_tokens = 5;
    gen = NULL;
    STATUS(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_OK);
    const char *piece = NULL;
    size_t len = 0;
    int32_t tok = 0, done = 0;
    STATUS(lh_generation_next(NULL, &piece, &len, &tok, &done), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_next(gen, NULL, &len, &tok, &done), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_next(gen, &piece, NULL, &tok, &done), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_next(gen, &piece, &len, NULL, &done), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generation_next(gen, &piece, &len, &tok, NULL), LH_ERROR_INVALID_ARGUMENT);
    int steps = 0;
    while (!done && steps < 100) {
        STATUS(lh_generation_next(gen, &piece, &len, &tok, &done), LH_OK);
        ++steps;
    }
    EXPECT(done == 1 && tok == -1 && steps <= 6);
    EXPECT(lh_generation_stop_reason(gen) == LH_STOP_MAX_TOKENS);
    STATUS(lh_generation_next(gen, &piece, &len, &tok, &done), LH_OK);
    EXPECT(done == 1 && tok == -1 && len == 0);
    lh_generation_free(gen);

    /* Misuse on one thread: the context is reset (and refilled) between steps of a generation.
     * The generation lost its context: its next call says so, and keeps saying so. */
    STATUS(lh_context_reset(ctx), LH_OK);
    gen = NULL;
    p.max_tokens = 10;
    STATUS(lh_generation_start(ctx, prompt, plen, &p, &gen), LH_OK);
    STATUS(lh_generation_next(gen, &piece, &len, &tok, &done), LH_OK);
    STATUS(lh_context_reset(ctx), LH_OK);
    STATUS_MSG(lh_generation_next(gen, &piece, &len, &tok, &done), LH_ERROR_INVALID_ARGUMENT, "lh_context_reset");
    int32_t fill[60];
    for (int i = 0; i < 60; ++i) fill[i] = 5 + i;
    STATUS(lh_context_eval(ctx, fill, 60, 0), LH_OK);
    STATUS_MSG(lh_generation_next(gen, &piece, &len, &tok, &done), LH_ERROR_INVALID_ARGUMENT, "lh_context_reset");
    lh_generation_free(gen);
    int32_t n_past = 0;
    STATUS(lh_context_n_past(ctx, &n_past), LH_OK);
    EXPECT(n_past == 60);

    /* lh_generate: buffers, callbacks, NULLs. */
    STATUS(lh_context_reset(ctx), LH_OK);
    char buf[256];
    size_t out_len = 0;
    p.max_tokens = 8;
    STATUS(lh_generate(NULL, prompt, plen, &p, NULL, NULL, buf, sizeof buf, &out_len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generate(ctx, NULL, 4, &p, NULL, NULL, buf, sizeof buf, &out_len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generate(ctx, prompt, plen, &p, NULL, NULL, NULL, 10, &out_len), LH_ERROR_INVALID_ARGUMENT);
    STATUS(lh_generate(ctx, prompt, plen, &p, NULL, NULL, buf, sizeof buf, &out_len), LH_OK);
    EXPECT(out_len < sizeof buf && strlen(buf) == out_len);
    size_t full = out_len;
    STATUS(lh_context_reset(ctx), LH_OK);
    STATUS(lh_generate(ctx, prompt, plen, &p, NULL, NULL, NULL, 0, NULL), LH_OK);
    if (full >= 2) {
        STATUS(lh_context_reset(ctx), LH_OK);
        memset(buf, CANARY, sizeof buf);
        STATUS(lh_generate(ctx, prompt, plen, &p, NULL, NULL, buf, 2, &out_len), LH_ERROR_BUFFER_TOO_SMALL);
        EXPECT(out_len == full && buf[1] == '\0' && canary_intact((unsigned char *)buf + 2, sizeof buf - 2));
    }
    STATUS(lh_context_reset(ctx), LH_OK);
    int calls = 0;
    STATUS(lh_generate(ctx, prompt, plen, &p, stop_after_two, &calls, NULL, 0, NULL), LH_OK);
    EXPECT(calls == 2);
    /* Cancel set before the call is cleared when it starts. */
    STATUS(lh_context_reset(ctx), LH_OK);
    lh_context_cancel(ctx);
    STATUS(lh_generate(ctx, prompt, plen, NULL, NULL, NULL, NULL, 0, &out_len), LH_OK);
    lh_context_free(ctx);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]);
        return 2;
    }
    test_errors_and_version();
    lh_model *model = test_model_load(argv[1]);
    if (model) {
        test_model_queries(model);
        test_tokens(model);
        test_context_params(model);
        test_context_use(model);
        test_generation(model);
    }
    test_sampler();
    lh_model_free(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
