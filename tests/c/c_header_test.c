/* The public header compiles as C99 and the shared library links and runs from C. */
#include <stdio.h>
#include <string.h>

#include "longheads/longheads.h"

static int failures = 0;
#define EXPECT(cond)                                                   \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                \
        }                                                              \
    } while (0)

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    lh_model *model = NULL;
    EXPECT(lh_model_load(NULL, NULL, &model) == LH_ERROR_INVALID_ARGUMENT);
    EXPECT(strlen(lh_last_error()) > 0);
    EXPECT(lh_model_load("/no/such/file.gguf", NULL, &model) == LH_ERROR_IO);
    EXPECT(strstr(lh_last_error(), "/no/such/file.gguf") != NULL);
    lh_model_free(NULL);
    lh_context_free(NULL);

    EXPECT(lh_model_load(argv[1], NULL, &model) == LH_OK);
    if (!model) return 1;
    lh_model_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    EXPECT(lh_model_get_info(model, &info) == LH_OK);
    EXPECT(info.n_vocab == 512 && info.n_layer == 5 && strcmp(info.architecture, "llama") == 0);

    int32_t ids[16];
    size_t n = 0;
    EXPECT(lh_tokenize(model, "Hello world", 11, 1, 0, ids, 16, &n) == LH_OK);
    EXPECT(n == 7 && ids[0] == 1 && ids[1] == 346);

    lh_context *ctx = NULL;
    EXPECT(lh_context_create(model, NULL, &ctx) == LH_OK);
    lh_sampler_params sp;
    lh_sampler_params_init(&sp);
    sp.temperature = 0.0f;
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = 8;
    gp.sampling = &sp;
    char text[256];
    size_t len = 0;
    EXPECT(lh_generate(ctx, "Once upon a time", 16, &gp, NULL, NULL, text, sizeof text, &len) == LH_OK);
    EXPECT(len > 0 && strlen(text) == len);
    int32_t bad = 100000;
    EXPECT(lh_context_eval(ctx, &bad, 1, 0) == LH_ERROR_INVALID_ARGUMENT);
    lh_context_free(ctx);
    lh_model_free(model);
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
