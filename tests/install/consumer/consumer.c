/* A program built against the installed library (CMake package or pkg-config): prints the
 * library version and the token ids of a text, for comparison with `longheads tokenize`.
 * usage: consumer MODEL.gguf TEXT */
#include <stdio.h>
#include <string.h>

#include <longheads/longheads.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.gguf TEXT\n", argv[0]);
        return 2;
    }
    lh_model *model = NULL;
    lh_status status = lh_model_load(argv[1], NULL, &model);
    int32_t ids[256];
    size_t n = 0;
    if (status == LH_OK) status = lh_tokenize(model, argv[2], strlen(argv[2]), 1, 0, ids, 256, &n);
    if (status != LH_OK) {
        fprintf(stderr, "%s: %s\n", lh_status_string(status), lh_last_error());
        lh_model_free(model);
        return 1;
    }
    printf("%s", lh_version());
    for (size_t i = 0; i < n; ++i) printf(" %d", ids[i]);
    printf("\n");
    lh_model_free(model);
    return 0;
}
