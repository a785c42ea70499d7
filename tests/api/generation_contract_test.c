/* What the header promises about generation, each case checked through the public C API on
 * stories260K:
 * - the final flush: a stop string whose first byte ends the text makes the last text arrive
 *   with done = 1; a consumer that uses every piece gets what lh_generate returns;
 * - cancel: between two next calls it ends the generation (CANCELLED, text kept, context
 *   consistent, later calls unaffected); from a callback lh_generate returns CANCELLED with the
 *   text so far; a callback's non-zero return stops with LH_OK;
 * - a second generation, an eval, a reset or lh_generate on a context takes it over from a live
 *   generation, whose next call then fails naming the call;
 * - lh_last_error() is "" after a call that succeeded although a call inside its callback failed;
 * - pieces are valid UTF-8 even when byte tokens form none.
 *   generation_contract_test MODEL.gguf */
#include <stdlib.h>

#include "test_util.h"

static const char *PROMPT = "Once upon a time";
enum { PROMPT_TOKENS = 5 }; /* BOS + 4 (tests/c/c_header_test.c checks the tokenizer) */

static lh_sampler_params greedy_sampling;

static lh_generate_params greedy(int32_t max_tokens) {
    lh_sampler_params_init(&greedy_sampling);
    greedy_sampling.temperature = 0.0f;
    lh_generate_params p;
    lh_generate_params_init(&p);
    p.max_tokens = max_tokens;
    p.sampling = &greedy_sampling;
    return p;
}

/* lh_generate's text from an empty context. */
static size_t generate_text(lh_context *ctx, const lh_generate_params *p, char *buf, size_t cap) {
    size_t len = 0;
    lh_context_reset(ctx);
    STATUS_MSG(lh_generate(ctx, PROMPT, strlen(PROMPT), p, NULL, NULL, buf, cap, &len), LH_OK, "");
    return len;
}

typedef struct {
    char text[4096];
    size_t len;
    int steps;
    size_t last_piece_len; /* bytes returned together with done = 1 */
    lh_stop_reason reason;
} Streamed;

/* The README loop: use the piece, then look at done. Stops after `cancel_at` steps with
 * lh_context_cancel when cancel_at > 0. */
static void stream_text(lh_context *ctx, const lh_generate_params *p, int cancel_at, Streamed *out) {
    memset(out, 0, sizeof *out);
    lh_context_reset(ctx);
    lh_generation *gen = NULL;
    STATUS_MSG(lh_generation_start(ctx, PROMPT, strlen(PROMPT), p, &gen), LH_OK, "");
    if (!gen) return;
    int32_t done = 0;
    while (!done && out->steps < 1000) {
        const char *piece = NULL;
        size_t len = 0;
        int32_t token = 0;
        STATUS_MSG(lh_generation_next(gen, &piece, &len, &token, &done), LH_OK, "");
        if (out->len + len < sizeof out->text) memcpy(out->text + out->len, piece, len);
        out->len += len;
        out->last_piece_len = len;
        if (++out->steps == cancel_at) lh_context_cancel(ctx);
    }
    out->reason = lh_generation_stop_reason(gen);
    lh_generation_free(gen);
}

static void test_final_flush(lh_context *ctx) {
    lh_generate_params p = greedy(24);
    char plain[4096];
    size_t n = generate_text(ctx, &p, plain, sizeof plain);
    EXPECT(n > 2 && n < sizeof plain);
    if (n < 2 || n >= sizeof plain) return;
    /* A stop string starting with the text's last byte (and a byte the model never writes):
     * that byte is held back until the end. */
    char stop[3] = {plain[n - 1], '\x01', '\0'};
    const char *stops[1] = {stop};
    p.stop = stops;
    p.n_stop = 1;
    Streamed s;
    stream_text(ctx, &p, 0, &s);
    EXPECT(s.reason == LH_STOP_MAX_TOKENS);
    EXPECT(s.last_piece_len >= 1); /* the held-back text came with done = 1 */
    EXPECT(s.len == n && memcmp(s.text, plain, n) == 0);
    char with_stop[4096];
    EXPECT(generate_text(ctx, &p, with_stop, sizeof with_stop) == n && memcmp(with_stop, plain, n) == 0);
}

static void test_cancel_between_steps(lh_context *ctx) {
    lh_generate_params p = greedy(30);
    Streamed whole, cut;
    stream_text(ctx, &p, 0, &whole);
    stream_text(ctx, &p, 5, &cut);
    EXPECT(cut.reason == LH_STOP_CANCELLED);
    EXPECT(cut.steps == 6); /* the step after the cancel ends the generation */
    EXPECT(cut.len > 0 && cut.len <= whole.len && memcmp(cut.text, whole.text, cut.len) == 0);
    /* The context holds the prompt and the 5 generated tokens but the last. */
    int32_t n_past = 0;
    STATUS_MSG(lh_context_n_past(ctx, &n_past), LH_OK, "");
    EXPECT(n_past == PROMPT_TOKENS + 4);
    /* The spent cancel does not touch the next calls. */
    int32_t tok = 42;
    STATUS_MSG(lh_context_eval(ctx, &tok, 1, 0), LH_OK, "");
    Streamed again;
    stream_text(ctx, &p, 0, &again);
    EXPECT(again.reason == LH_STOP_MAX_TOKENS && again.len == whole.len);
}

typedef struct {
    lh_context *ctx;
    int calls;
    int cancel_at;   /* call lh_context_cancel at this call (0: never) */
    int stop_at;     /* return non-zero at this call (0: never) */
    int fail_inside; /* make a failing API call inside the callback */
    char text[4096];
    size_t len;
} CallbackState;

static int32_t on_piece(const char *piece, size_t len, int32_t token, void *user) {
    (void)token;
    CallbackState *st = (CallbackState *)user;
    if (st->len + len < sizeof st->text) memcpy(st->text + st->len, piece, len);
    st->len += len;
    ++st->calls;
    if (st->fail_inside) {
        size_t n = 0;
        lh_tokenize(NULL, "x", 1, 0, 0, NULL, 0, &n); /* fails: model is NULL */
    }
    if (st->calls == st->cancel_at) lh_context_cancel(st->ctx);
    return st->calls == st->stop_at;
}

static void test_generate_cancel_and_callback_stop(lh_context *ctx) {
    lh_generate_params p = greedy(30);
    char buf[4096];
    size_t len = 0;
    CallbackState st;
    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.cancel_at = 3;
    lh_context_reset(ctx);
    STATUS_MSG(lh_generate(ctx, PROMPT, strlen(PROMPT), &p, on_piece, &st, buf, sizeof buf, &len), LH_ERROR_CANCELLED,
               "cancelled");
    EXPECT(st.calls >= 3 && st.calls <= 5);
    EXPECT(len == st.len && len < sizeof buf && memcmp(buf, st.text, len) == 0 && buf[len] == '\0');
    /* The cancel is spent: the next call runs to the end. */
    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    lh_context_reset(ctx);
    STATUS_MSG(lh_generate(ctx, PROMPT, strlen(PROMPT), &p, on_piece, &st, buf, sizeof buf, &len), LH_OK, "");
    size_t whole = len;
    /* A callback that says stop: LH_OK, and buf holds exactly what it received. */
    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.stop_at = 2;
    lh_context_reset(ctx);
    STATUS_MSG(lh_generate(ctx, PROMPT, strlen(PROMPT), &p, on_piece, &st, buf, sizeof buf, &len), LH_OK, "");
    EXPECT(st.calls == 2 && len == st.len && len < whole && memcmp(buf, st.text, len) == 0);
}

static void test_last_error_after_callback_failure(lh_context *ctx) {
    lh_generate_params p = greedy(6);
    CallbackState st;
    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.fail_inside = 1;
    lh_context_reset(ctx);
    STATUS_MSG(lh_generate(ctx, PROMPT, strlen(PROMPT), &p, on_piece, &st, NULL, 0, NULL), LH_OK, "");
    EXPECT(st.calls > 0);
    EXPECT(strcmp(lh_last_error(), "") == 0);
}

/* Starts a generation and takes one step. */
static lh_generation *started(lh_context *ctx, const lh_generate_params *p) {
    lh_generation *gen = NULL;
    STATUS_MSG(lh_generation_start(ctx, PROMPT, strlen(PROMPT), p, &gen), LH_OK, "");
    const char *piece;
    size_t len;
    int32_t tok, done;
    STATUS_MSG(lh_generation_next(gen, &piece, &len, &tok, &done), LH_OK, "");
    return gen;
}

static void expect_taken_over(lh_generation *gen, const char *by) {
    const char *piece;
    size_t len;
    int32_t tok, done = 0;
    STATUS_MSG(lh_generation_next(gen, &piece, &len, &tok, &done), LH_ERROR_INVALID_ARGUMENT, by);
}

static void test_interleaving(lh_context *ctx) {
    lh_generate_params p = greedy(12);
    Streamed alone;
    stream_text(ctx, &p, 0, &alone);

    lh_context_reset(ctx);
    lh_generation *first = started(ctx, &p);
    lh_generation *second = started(ctx, &p); /* continues after first's tokens */
    expect_taken_over(first, "lh_generation_start");
    /* The newer one runs as if alone. */
    const char *piece;
    size_t len, total = 0;
    int32_t tok, done = 0;
    char text[4096];
    lh_generation_free(first); /* freeing the loser does not disturb the winner */
    lh_context_reset(ctx);
    lh_generation_free(second);
    second = NULL;
    STATUS_MSG(lh_generation_start(ctx, PROMPT, strlen(PROMPT), &p, &second), LH_OK, "");
    while (!done) {
        if (lh_generation_next(second, &piece, &len, &tok, &done) != LH_OK) break;
        if (total + len < sizeof text) memcpy(text + total, piece, len);
        total += len;
    }
    EXPECT(done && total == alone.len && memcmp(text, alone.text, total) == 0);
    lh_generation_free(second);

    lh_context_reset(ctx);
    lh_generation *g = started(ctx, &p);
    int32_t t = 42;
    STATUS_MSG(lh_context_eval(ctx, &t, 1, 0), LH_OK, "");
    expect_taken_over(g, "lh_context_eval");
    expect_taken_over(g, "lh_context_eval"); /* and stays so */
    lh_generation_free(g);

    lh_context_reset(ctx);
    g = started(ctx, &p);
    STATUS_MSG(lh_generate(ctx, " and", 4, &p, NULL, NULL, NULL, 0, NULL), LH_OK, "");
    expect_taken_over(g, "lh_generate");
    lh_generation_free(g);

    /* An ended generation keeps answering done, whatever happens to the context. */
    lh_context_reset(ctx);
    lh_generate_params one = greedy(1);
    g = NULL;
    STATUS_MSG(lh_generation_start(ctx, PROMPT, strlen(PROMPT), &one, &g), LH_OK, "");
    for (done = 0; !done;) STATUS_MSG(lh_generation_next(g, &piece, &len, &tok, &done), LH_OK, "");
    lh_context_reset(ctx);
    done = 0;
    STATUS_MSG(lh_generation_next(g, &piece, &len, &tok, &done), LH_OK, "");
    EXPECT(done == 1 && len == 0 && tok == -1);
    lh_generation_free(g);
}

/* Length of the valid UTF-8 prefix of s[0, n) (strict: no overlongs, surrogates, > U+10FFFF). */
static size_t valid_prefix(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        if (k == 0 || i + k > n) return i;
        for (size_t j = 1; j < k; ++j)
            if ((s[i + j] & 0xC0) != 0x80) return i;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F))
            return i;
        i += k;
    }
    return i;
}

static void test_valid_utf8(lh_context *ctx) {
    /* Near-uniform sampling over stories260K's 512 ids, a quarter of which are the bytes
     * 0x80..0xFF: byte tokens that form no character are certain to come. */
    lh_sampler_params near_uniform;
    lh_sampler_params_init(&near_uniform);
    near_uniform.temperature = 1000.0f;
    near_uniform.top_k = 0;
    near_uniform.top_p = 1.0f;
    near_uniform.min_p = 0.0f;
    near_uniform.seed = 7;
    lh_generate_params p;
    lh_generate_params_init(&p);
    p.max_tokens = 200;
    p.sampling = &near_uniform;
    p.stop_at_eog = 0;
    lh_context_reset(ctx);
    lh_generation *gen = NULL;
    STATUS_MSG(lh_generation_start(ctx, PROMPT, strlen(PROMPT), &p, &gen), LH_OK, "");
    if (!gen) return;
    static char text[16384];
    size_t total = 0;
    int32_t done = 0, invalid_pieces = 0;
    while (!done) {
        const char *piece;
        size_t len;
        int32_t tok;
        if (lh_generation_next(gen, &piece, &len, &tok, &done) != LH_OK) break;
        if (valid_prefix((const unsigned char *)piece, len) != len) ++invalid_pieces;
        if (total + len < sizeof text) memcpy(text + total, piece, len);
        total += len;
    }
    lh_generation_free(gen);
    EXPECT(done && invalid_pieces == 0);
    EXPECT(total < sizeof text && valid_prefix((const unsigned char *)text, total) == total);
    /* The case was exercised: replacement characters are there. */
    text[total < sizeof text ? total : sizeof text - 1] = '\0';
    EXPECT(strstr(text, "\xEF\xBF\xBD") != NULL);
    /* lh_generate gives the same text. */
    char again[sizeof text];
    EXPECT(generate_text(ctx, &p, again, sizeof again) == total && memcmp(again, text, total) == 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]);
        return 2;
    }
    lh_model *model = NULL;
    STATUS_MSG(lh_model_load(argv[1], NULL, &model), LH_OK, "");
    if (!model) return report();
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_ctx = 512;
    cp.n_threads = 1;
    lh_context *ctx = NULL;
    STATUS_MSG(lh_context_create(model, &cp, &ctx), LH_OK, "");
    if (ctx) {
        test_final_flush(ctx);
        test_cancel_between_steps(ctx);
        test_generate_cancel_and_callback_stop(ctx);
        test_last_error_after_callback_failure(ctx);
        test_interleaving(ctx);
        test_valid_utf8(ctx);
    }
    lh_context_free(ctx);
    lh_model_free(model);
    return report();
}
