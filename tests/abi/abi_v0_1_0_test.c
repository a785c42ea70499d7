/* A program written for, and compiled against, the 0.1.0 header (a verbatim copy in this
 * folder) keeps working against the current library. This is what an application built
 * before the 0.2 ABI changes does; the library must read its structs by their struct_size:
 * - lh_generate_params of 0.1 embeds lh_sampler_params by value (0.2 holds a pointer);
 * - lh_model_info / lh_context_params / lh_sampler_params of 0.1 are prefixes of 0.2's.
 * Every field of the 0.1 structs is given a value whose effect the test can see.
 *   abi_v0_1_0_test MODEL.gguf      (stories260K) */
#include <stdio.h>
#include <string.h>

#include "longheads_v0_1_0.h"

static int passed = 0, failed = 0;
#define EXPECT(cond)                                                                                  \
    do {                                                                                              \
        if (cond) {                                                                                   \
            ++passed;                                                                                 \
        } else {                                                                                      \
            ++failed;                                                                                 \
            fprintf(stderr, "%s:%d: FAILED: %s (last error: %s)\n", __FILE__, __LINE__, #cond, lh_last_error()); \
        }                                                                                             \
    } while (0)

static const char *PROMPT = "Once upon a time";

/* Generates with the 0.1 struct; returns the byte count (text NUL-terminated in buf). */
static size_t generate(lh_context *ctx, const lh_generate_params *gp, char *buf, size_t cap) {
    size_t len = 0;
    EXPECT(lh_context_reset(ctx) == LH_OK);
    EXPECT(lh_generate(ctx, PROMPT, strlen(PROMPT), gp, NULL, NULL, buf, cap, &len) == LH_OK);
    return len;
}

static void test_model(lh_model *model) {
    lh_model_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    EXPECT(lh_model_get_info(model, &info) == LH_OK);
    EXPECT(info.struct_size == sizeof info);
    EXPECT(strcmp(info.architecture, "llama") == 0 && info.n_vocab == 512 && info.n_ctx_train == 512);
    EXPECT(info.n_layer == 5 && info.bos_token == 1 && info.eos_token == 2 && info.add_bos == 1);
    EXPECT(info.precision == LH_PRECISION_F32 && info.weight_bytes > 0);
    EXPECT(strcmp(lh_status_string(LH_ERROR_CANCELLED), "cancelled") == 0);
}

static void test_generation(lh_context *ctx) {
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    EXPECT(gp.struct_size == sizeof gp && gp.sampling.struct_size == sizeof gp.sampling);
    EXPECT(gp.max_tokens == 128 && gp.add_bos == 1 && gp.stop_at_eog == 1);
    gp.max_tokens = 40;
    gp.sampling.temperature = 0.0f; /* greedy: the known text */
    char greedy[2048];
    size_t n = generate(ctx, &gp, greedy, sizeof greedy);
    EXPECT(n > 0 && strncmp(greedy, ", there was a little girl", 25) == 0);

    /* The pull loop gives the same text, in max_tokens tokens. */
    EXPECT(lh_context_reset(ctx) == LH_OK);
    lh_generation *gen = NULL;
    EXPECT(lh_generation_start(ctx, PROMPT, strlen(PROMPT), &gp, &gen) == LH_OK);
    char text[2048];
    size_t len = 0;
    int tokens = 0;
    int32_t done = 0;
    while (gen && !done) {
        const char *piece;
        size_t plen;
        int32_t tok;
        if (lh_generation_next(gen, &piece, &plen, &tok, &done) != LH_OK) break;
        if (len + plen < sizeof text) memcpy(text + len, piece, plen);
        len += plen;
        if (tok >= 0) ++tokens;
    }
    EXPECT(done && tokens == 40 && lh_generation_stop_reason(gen) == LH_STOP_MAX_TOKENS);
    EXPECT(len == n && memcmp(text, greedy, n) == 0);
    lh_generation_free(gen);

    /* The embedded sampler fields are read: the seed decides the text at temperature 1. */
    gp.sampling.temperature = 1.0f;
    gp.sampling.top_k = 0;
    gp.sampling.min_p = 0.0f;
    gp.sampling.seed = 42;
    char a[2048], b[2048], c[2048];
    size_t na = generate(ctx, &gp, a, sizeof a);
    size_t nb = generate(ctx, &gp, b, sizeof b);
    gp.sampling.seed = 43;
    size_t nc = generate(ctx, &gp, c, sizeof c);
    EXPECT(na == nb && memcmp(a, b, na) == 0);
    EXPECT(na != nc || memcmp(a, c, na) != 0);
    EXPECT(na != n || memcmp(a, greedy, na) != 0);
    /* top_p outside [0, 1] is refused: the field is where the library looks. */
    gp.sampling.top_p = 2.0f;
    EXPECT(lh_generate(ctx, PROMPT, strlen(PROMPT), &gp, NULL, NULL, NULL, 0, NULL) == LH_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(lh_last_error(), "top_p") != NULL);

    /* Fields after the embedded struct: stop strings, add_bos, stop_at_eog. */
    lh_generate_params_init(&gp);
    gp.max_tokens = 40;
    gp.sampling.temperature = 0.0f;
    const char *stops[1] = {"Lily"};
    gp.stop = stops;
    gp.n_stop = 1;
    char stopped[2048];
    size_t ns = generate(ctx, &gp, stopped, sizeof stopped);
    const char *lily = strstr(greedy, "Lily");
    EXPECT(lily != NULL && ns == (size_t)(lily - greedy) && memcmp(stopped, greedy, ns) == 0);
    gp.stop = NULL;
    gp.n_stop = 0;
    gp.add_bos = 0;
    char no_bos[2048];
    size_t nn = generate(ctx, &gp, no_bos, sizeof no_bos);
    EXPECT(nn != n || memcmp(no_bos, greedy, n) != 0);
    gp.add_bos = 1;
    gp.stop_at_eog = 0;
    gp.max_tokens = 300;
    EXPECT(lh_context_reset(ctx) == LH_OK);
    EXPECT(lh_generation_start(ctx, PROMPT, strlen(PROMPT), &gp, &gen) == LH_OK);
    done = 0;
    tokens = 0;
    while (gen && !done) {
        const char *piece;
        size_t plen;
        int32_t tok;
        if (lh_generation_next(gen, &piece, &plen, &tok, &done) != LH_OK) break;
        if (tok >= 0) ++tokens;
    }
    EXPECT(tokens == 300 && lh_generation_stop_reason(gen) == LH_STOP_MAX_TOKENS); /* EOS did not stop it */
    lh_generation_free(gen);
}

static void test_context_and_sampler(lh_model *model) {
    lh_context_params cp;
    lh_context_params_init(&cp);
    EXPECT(cp.struct_size == sizeof cp);
    cp.n_ctx = 1024;
    cp.n_threads = 1;
    cp.attention = LH_ATTENTION_LONGHEADS;
    cp.chunk_size = 16;
    cp.attn_len = 64;
    cp.kv_type = LH_KV_BF16;
    lh_context *ctx = NULL;
    EXPECT(lh_context_create(model, &cp, &ctx) == LH_OK);
    lh_context_params got;
    memset(&got, 0, sizeof got);
    got.struct_size = sizeof got;
    EXPECT(lh_context_get_params(ctx, &got) == LH_OK);
    EXPECT(got.struct_size == sizeof got && got.n_ctx == 1024 && got.attention == LH_ATTENTION_LONGHEADS);
    EXPECT(got.chunk_size == 16 && got.attn_len == 64 && got.begin_len == 64 && got.kv_type == LH_KV_BF16);
    uint64_t bytes = 0;
    EXPECT(lh_context_estimate_kv_bytes(model, &cp, 1024, &bytes) == LH_OK && bytes > 0);
    lh_context_free(ctx);

    lh_sampler_params sp;
    lh_sampler_params_init(&sp);
    EXPECT(sp.struct_size == sizeof sp);
    sp.temperature = 0.0f;
    lh_sampler *s = NULL;
    EXPECT(lh_sampler_create(&sp, &s) == LH_OK);
    float logits[8] = {0, 1, 7, 2, 3, 0, 0, 0};
    int32_t tok = -1;
    EXPECT(lh_sampler_sample(s, logits, 8, &tok) == LH_OK && tok == 2);
    lh_sampler_free(s);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]);
        return 2;
    }
    lh_model_params mp;
    lh_model_params_init(&mp);
    EXPECT(mp.struct_size == sizeof mp);
    mp.precision = LH_PRECISION_F32;
    lh_model *model = NULL;
    EXPECT(lh_model_load(argv[1], &mp, &model) == LH_OK);
    if (!model) return 1;
    test_model(model);
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_ctx = 512;
    cp.n_threads = 1;
    cp.attention = LH_ATTENTION_FULL;
    lh_context *ctx = NULL;
    EXPECT(lh_context_create(model, &cp, &ctx) == LH_OK);
    if (ctx) test_generation(ctx);
    lh_context_free(ctx);
    test_context_and_sampler(model);
    lh_model_free(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
