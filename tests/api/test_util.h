/* EXPECT / STATUS helpers shared by the plain-C API tests of this folder. Each test program
 * prints "N passed, M failed" and exits 1 on any failure. */
#ifndef LH_TEST_UTIL_H
#define LH_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "longheads/longheads.h"

static int passed = 0, failed = 0;

#define EXPECT(cond)                                                                              \
    do {                                                                                          \
        if (cond) {                                                                               \
            ++passed;                                                                             \
        } else {                                                                                  \
            ++failed;                                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s (last error: %s)\n", __FILE__, __LINE__, #cond,   \
                    lh_last_error());                                                             \
        }                                                                                         \
    } while (0)

/* The call returns `want`; a failure leaves a message containing `text` ("" = any message). */
#define STATUS_MSG(call, want, text)                                                              \
    do {                                                                                          \
        lh_status got_ = (call);                                                                  \
        const char *msg_ = lh_last_error();                                                       \
        if (got_ == (want) && (got_ == LH_OK || (msg_[0] != '\0' && strstr(msg_, (text)) != NULL))) { \
            ++passed;                                                                             \
        } else {                                                                                  \
            ++failed;                                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s -> %d (%s), want %d (%s) with '%s'; message: '%s'\n", \
                    __FILE__, __LINE__, #call, (int)got_, lh_status_string(got_), (int)(want),   \
                    lh_status_string(want), (text), msg_);                                        \
        }                                                                                         \
    } while (0)

static int report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
