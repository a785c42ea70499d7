/* Read once, ask many through the C API: token history, save/load, fork, prefix reuse,
 * truncation, and every misuse answered with a status and a message.
 * Usage: context_state_test MODEL.gguf OTHER_MODEL.gguf TMPDIR */
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "test_util.h"

static lh_context_params longheads_params(void) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_ctx = 2048;
    p.n_threads = 2;
    p.n_batch = 64;
    p.attention = LH_ATTENTION_LONGHEADS;
    p.chunk_size = 16;
    p.attn_len = 64;
    return p;
}

/* Greedy continuation of what the context holds (an empty prompt continues from its logits). */
static void greedy(lh_context *ctx, const char *prompt, char *out, size_t cap) {
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    sampling.temperature = 0;
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = 24;
    gp.sampling = &sampling;
    gp.add_bos = 0;
    size_t len = 0;
    out[0] = '\0';
    EXPECT(lh_generate(ctx, prompt, strlen(prompt), &gp, NULL, NULL, out, cap, &len) == LH_OK);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL OTHER_MODEL TMPDIR\n", argv[0]);
        return 2;
    }
    char path[4096], missing[4096];
    snprintf(path, sizeof path, "%s/context_state_test.lhctx", argv[3]);
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.lhctx", argv[3]);

    lh_model *model = NULL, *other = NULL;
    if (lh_model_load(argv[1], NULL, &model) != LH_OK || lh_model_load(argv[2], NULL, &other) != LH_OK) {
        fprintf(stderr, "cannot load models: %s\n", lh_last_error());
        return 1;
    }
    /* A document of ~600 tokens. */
    char doc[8192] = "";
    for (int i = 0; i < 12; ++i)
        strcat(doc, "Once upon a time there was a little girl named Lily. She loved to play in the park. ");
    int32_t ids[4096];
    size_t n_ids = 0;
    EXPECT(lh_tokenize(model, doc, strlen(doc), 1, 0, ids, 4096, &n_ids) == LH_OK);
    EXPECT(n_ids > 300);

    lh_context_params cp = longheads_params();
    lh_context *ctx = NULL;
    EXPECT(lh_context_create(model, &cp, &ctx) == LH_OK);
    EXPECT(lh_context_eval(ctx, ids, n_ids, 0) == LH_OK);

    /* Token history, with the size-query convention. */
    size_t held = 0;
    int32_t back[4096];
    STATUS_MSG(lh_context_tokens(ctx, NULL, 0, &held), LH_ERROR_BUFFER_TOO_SMALL, "needed");
    EXPECT(held == n_ids);
    STATUS_MSG(lh_context_tokens(ctx, back, 4096, &held), LH_OK, "");
    EXPECT(held == n_ids && memcmp(back, ids, n_ids * sizeof(int32_t)) == 0);
    STATUS_MSG(lh_context_tokens(NULL, back, 4096, &held), LH_ERROR_INVALID_ARGUMENT, "context is NULL");
    STATUS_MSG(lh_context_tokens(ctx, back, 4096, NULL), LH_ERROR_INVALID_ARGUMENT, "out_n is NULL");

    /* Save, load with the saved parameters: same logits, same continuation. */
    STATUS_MSG(lh_context_save(ctx, path), LH_OK, "");
    lh_context_params fp;
    fp.struct_size = sizeof fp;
    STATUS_MSG(lh_context_file_params(path, &fp), LH_OK, "");
    EXPECT(fp.attention == LH_ATTENTION_LONGHEADS && fp.chunk_size == 16 && fp.attn_len == 64 && fp.begin_len == 64 &&
           fp.n_ctx == 2048 && fp.n_batch == 64 && fp.n_threads == 0 && fp.kv_type == LH_KV_F32);
    STATUS_MSG(lh_context_file_params(argv[1], &fp), LH_ERROR_BAD_FORMAT, "wrong magic bytes");
    STATUS_MSG(lh_context_file_params(NULL, &fp), LH_ERROR_INVALID_ARGUMENT, "path is NULL");
    STATUS_MSG(lh_context_file_params(path, NULL), LH_ERROR_INVALID_ARGUMENT, "out_params is NULL");
    lh_context *loaded = NULL;
    STATUS_MSG(lh_context_load(model, path, NULL, &loaded), LH_OK, "");
    int32_t n_past = 0;
    EXPECT(lh_context_n_past(loaded, &n_past) == LH_OK && n_past == (int32_t)n_ids);
    static float a[512], b[512];
    EXPECT(lh_context_copy_logits(ctx, -1, a, 512) == LH_OK);
    EXPECT(lh_context_copy_logits(loaded, -1, b, 512) == LH_OK);
    EXPECT(memcmp(a, b, sizeof a) == 0);
    lh_context_params got;
    got.struct_size = sizeof got;
    EXPECT(lh_context_get_params(loaded, &got) == LH_OK);
    EXPECT(got.attention == LH_ATTENTION_LONGHEADS && got.chunk_size == 16 && got.attn_len == 64 && got.n_ctx == 2048);

    /* Fork: two questions branch from the document; the origin is untouched. */
    lh_context *fork = NULL;
    STATUS_MSG(lh_context_fork(ctx, &fork), LH_OK, "");
    char t1[4096], t2[4096], t3[4096];
    greedy(fork, " Where did Lily play?", t1, sizeof t1);
    greedy(loaded, " Where did Lily play?", t2, sizeof t2);
    EXPECT(strcmp(t1, t2) == 0);
    EXPECT(lh_context_n_past(ctx, &n_past) == LH_OK && n_past == (int32_t)n_ids);

    /* Prefix reuse: the loaded context holds document + question 1 + answer; document +
     * question 2 reuses the document (back to a chunk start: at most 15 tokens fewer). */
    const char *q2 = " What did Lily love?";
    int32_t q_ids[64];
    size_t n_q = 0;
    EXPECT(lh_tokenize(model, q2, strlen(q2), 0, 0, q_ids, 64, &n_q) == LH_OK);
    int32_t prompt[4200];
    memcpy(prompt, ids, n_ids * sizeof(int32_t));
    memcpy(prompt + n_ids, q_ids, n_q * sizeof(int32_t));
    int32_t reused = -1;
    STATUS_MSG(lh_context_eval_reuse(loaded, prompt, n_ids + n_q, &reused), LH_OK, "");
    EXPECT(reused >= (int32_t)n_ids - 15 && reused < (int32_t)(n_ids + n_q)); /* " Wh" may be shared */
    EXPECT(lh_context_n_past(loaded, &n_past) == LH_OK && n_past == (int32_t)(n_ids + n_q));
    /* Same as evaluating the question on a fork of the document. */
    lh_context *fork2 = NULL;
    EXPECT(lh_context_fork(ctx, &fork2) == LH_OK);
    EXPECT(lh_context_eval(fork2, q_ids, n_q, 0) == LH_OK);
    EXPECT(lh_context_copy_logits(loaded, -1, a, 512) == LH_OK);
    EXPECT(lh_context_copy_logits(fork2, -1, b, 512) == LH_OK);
    float worst = 0;
    for (int i = 0; i < 512; ++i) worst = fabsf(a[i] - b[i]) > worst ? fabsf(a[i] - b[i]) : worst;
    EXPECT(worst <= 1e-4f);
    greedy(loaded, "", t1, sizeof t1);
    greedy(fork2, "", t3, sizeof t3);
    EXPECT(strcmp(t1, t3) == 0);
    STATUS_MSG(lh_context_eval_reuse(loaded, NULL, 3, NULL), LH_ERROR_INVALID_ARGUMENT, "tokens is NULL");
    STATUS_MSG(lh_context_eval_reuse(loaded, prompt, 0, NULL), LH_ERROR_INVALID_ARGUMENT, "no tokens");
    int32_t bad_ids[3] = {1, 5, 9999};
    STATUS_MSG(lh_context_eval_reuse(loaded, bad_ids, 3, NULL), LH_ERROR_INVALID_ARGUMENT, "index 2");
    EXPECT(lh_context_n_past(loaded, &n_past) == LH_OK && n_past > 0); /* nothing changed */
    static int32_t too_many[2100];
    for (int i = 0; i < 2100; ++i) too_many[i] = 5;
    STATUS_MSG(lh_context_eval_reuse(loaded, too_many, 2100, NULL), LH_ERROR_CONTEXT_FULL, "do not fit");

    /* Truncation. */
    STATUS_MSG(lh_context_truncate(loaded, 100), LH_OK, "");
    EXPECT(lh_context_n_past(loaded, &n_past) == LH_OK && n_past == 100);
    STATUS_MSG(lh_context_logits(loaded, -1, (const float **)&a), LH_ERROR_INVALID_ARGUMENT, "no logits");
    STATUS_MSG(lh_context_truncate(loaded, 101), LH_ERROR_INVALID_ARGUMENT, "cannot keep 101 tokens");
    STATUS_MSG(lh_context_truncate(loaded, -1), LH_ERROR_INVALID_ARGUMENT, "cannot keep -1");
    STATUS_MSG(lh_context_truncate(NULL, 0), LH_ERROR_INVALID_ARGUMENT, "context is NULL");

    /* Loading with parameters: attention must agree; an old caller's smaller struct works. */
    lh_context *c2 = NULL;
    lh_context_params lp = longheads_params();
    lp.n_ctx = 0;
    STATUS_MSG(lh_context_load(model, path, &lp, &c2), LH_OK, "");
    lh_context_free(c2);
    lp.chunk_size = 32;
    lp.attn_len = 128;
    c2 = (lh_context *)0x1;
    STATUS_MSG(lh_context_load(model, path, &lp, &c2), LH_ERROR_INVALID_ARGUMENT,
               "other attention parameters: asked for chunk_size 32 (saved with 16)");
    EXPECT(c2 == (lh_context *)0x1); /* out-pointer untouched on failure */
    lh_context_params old = longheads_params();
    old.struct_size = (uint32_t)offsetof(lh_context_params, kv_type); /* a caller without kv_type */
    STATUS_MSG(lh_context_load(model, path, &old, &c2), LH_OK, "");
    lh_context_free(c2);

    /* Refusals. */
    STATUS_MSG(lh_context_load(other, path, NULL, &c2), LH_ERROR_INVALID_ARGUMENT, "saved with another model");
    STATUS_MSG(lh_context_load(model, missing, NULL, &c2), LH_ERROR_IO, "cannot open context file");
    STATUS_MSG(lh_context_load(model, argv[1], NULL, &c2), LH_ERROR_BAD_FORMAT, "wrong magic bytes");
    STATUS_MSG(lh_context_load(model, argv[3], NULL, &c2), LH_ERROR_IO, "not a regular file");
    STATUS_MSG(lh_context_load(NULL, path, NULL, &c2), LH_ERROR_INVALID_ARGUMENT, "model is NULL");
    STATUS_MSG(lh_context_load(model, NULL, NULL, &c2), LH_ERROR_INVALID_ARGUMENT, "path is NULL");
    STATUS_MSG(lh_context_load(model, "", NULL, &c2), LH_ERROR_INVALID_ARGUMENT, "path is NULL or empty");
    STATUS_MSG(lh_context_load(model, path, NULL, NULL), LH_ERROR_INVALID_ARGUMENT, "out_context is NULL");
    STATUS_MSG(lh_context_save(ctx, missing), LH_ERROR_IO, "cannot create");
    STATUS_MSG(lh_context_save(NULL, path), LH_ERROR_INVALID_ARGUMENT, "context is NULL");
    STATUS_MSG(lh_context_save(ctx, NULL), LH_ERROR_INVALID_ARGUMENT, "path is NULL");
    STATUS_MSG(lh_context_fork(NULL, &c2), LH_ERROR_INVALID_ARGUMENT, "context is NULL");
    STATUS_MSG(lh_context_fork(ctx, NULL), LH_ERROR_INVALID_ARGUMENT, "out_context is NULL");

    /* A damaged file: one byte of the payload flipped. */
    FILE *f = fopen(path, "r+b");
    EXPECT(f != NULL);
    if (f) {
        fseek(f, 300, SEEK_SET);
        int c = fgetc(f);
        fseek(f, 300, SEEK_SET);
        fputc(c ^ 0x10, f);
        fclose(f);
    }
    STATUS_MSG(lh_context_load(model, path, NULL, &c2), LH_ERROR_BAD_FORMAT, "do not match their checksum");

    /* An empty context saves and loads too (no logits to keep). */
    lh_context *empty = NULL, *empty2 = NULL;
    EXPECT(lh_context_create(model, &cp, &empty) == LH_OK);
    STATUS_MSG(lh_context_save(empty, path), LH_OK, "");
    STATUS_MSG(lh_context_load(model, path, NULL, &empty2), LH_OK, "");
    EXPECT(lh_context_n_past(empty2, &n_past) == LH_OK && n_past == 0);
    STATUS_MSG(lh_context_logits(empty2, -1, (const float **)&a), LH_ERROR_INVALID_ARGUMENT, "no logits");
    remove(path);

    lh_context_free(empty);
    lh_context_free(empty2);
    lh_context_free(fork);
    lh_context_free(fork2);
    lh_context_free(loaded);
    lh_context_free(ctx);
    lh_model_free(other);
    lh_model_free(model);
    return report();
}
