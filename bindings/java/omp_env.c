/* liblongheads_java_env: loaded by ai.longheads.LongHeads just before the JNI library. It sets
 * OMP_WAIT_POLICY=PASSIVE unless the user chose a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT
 * set). libgomp, which oneDNN runs on, reads the variable once, when it is loaded (with the JNI
 * library), and its spinning threads otherwise slow the attention 10-100x on a busy machine.
 * Java cannot change its own process environment; this library links nothing but libc, so
 * loading it does not load libgomp. */
#include <jni.h>
#include <stdlib.h>

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    if (getenv("GOMP_SPINCOUNT") == NULL) setenv("OMP_WAIT_POLICY", "PASSIVE", 0); /* 0: keep the user's */
    return JNI_VERSION_1_6;
}
