/* Stream a completion from a GGUF model through the C API.
 * usage: example_stream MODEL.gguf "prompt" [max_tokens] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longheads/longheads.h"

static int fail(const char *what, lh_status status) {
    fprintf(stderr, "%s: %s: %s\n", what, lh_status_string(status), lh_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [MAX_TOKENS]\n", argv[0]);
        return 2;
    }
    lh_model *model = NULL;
    lh_status status = lh_model_load(argv[1], NULL, &model);
    if (status != LH_OK) return fail("load", status);

    lh_context *context = NULL;
    status = lh_context_create(model, NULL, &context);
    if (status != LH_OK) {
        lh_model_free(model);
        return fail("context", status);
    }

    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    sampling.temperature = 0.0f; /* greedy: the same text every run */
    lh_generate_params params;
    lh_generate_params_init(&params);
    params.max_tokens = argc > 3 ? atoi(argv[3]) : 64;
    params.sampling = &sampling;

    lh_generation *generation = NULL;
    status = lh_generation_start(context, argv[2], strlen(argv[2]), &params, &generation);
    if (status == LH_OK) {
        fputs(argv[2], stdout);
        for (;;) {
            const char *piece;
            size_t len;
            int32_t token, done;
            status = lh_generation_next(generation, &piece, &len, &token, &done);
            if (status != LH_OK) break;
            fwrite(piece, 1, len, stdout); /* before looking at done: the last piece comes with it */
            fflush(stdout);
            if (done) break;
        }
        putchar('\n');
    }
    int rc = status == LH_OK ? 0 : fail("generate", status);
    lh_generation_free(generation);
    lh_context_free(context);
    lh_model_free(model);
    return rc;
}
