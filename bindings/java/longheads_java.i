/* Java side of the longheads binding: generated classes in package `ai.longheads.internal`
 * (an internal layer; build flag -package) over the JNI library `longheads_java`. The public
 * API is hand-written in package `ai.longheads` (bindings/java/ai/longheads/).
 *
 * - std::string is a byte string and travels as byte[] (JNI's String conversions use
 *   "modified UTF-8", which mangles characters outside the BMP and NUL); the public classes
 *   encode and decode UTF-8 with java.nio.charset.StandardCharsets.
 * - Number vectors travel as int[] / long[] / float[] with one bulk copy each way.
 * - A failed call throws ai.longheads.LongHeadsException (status + message).
 */
%module LongHeadsNative

%pragma(java) jniclassclassmodifiers="final class"
%pragma(java) moduleclassmodifiers="public final class"

%{
#include <cstring>

#include "longheads_facade.hpp"

/* Throws ai.longheads.LongHeadsException(int status, byte[] utf8Message). */
static void lh_java_raise(JNIEnv *jenv, int status, const char *message) {
    if (jenv->ExceptionCheck()) return;  /* keep a Java exception already pending */
    jclass cls = jenv->FindClass("ai/longheads/LongHeadsException");
    if (!cls) return;  /* NoClassDefFoundError is pending */
    jmethodID ctor = jenv->GetMethodID(cls, "<init>", "(I[B)V");
    if (!ctor) return;
    jsize n = (jsize)std::strlen(message);
    jbyteArray bytes = jenv->NewByteArray(n);
    if (!bytes) return;
    if (n > 0) jenv->SetByteArrayRegion(bytes, 0, n, (const jbyte *)message);
    jobject exc = jenv->NewObject(cls, ctor, (jint)status, bytes);
    if (exc) jenv->Throw((jthrowable)exc);
    jenv->DeleteLocalRef(bytes);
    jenv->DeleteLocalRef(cls);
}
%}

%define LH_RAISE(status, message)
lh_java_raise(jenv, status, message); return $null;
%enddef
%define LH_CASE "%(lowercamelcase)s" %enddef

/* ---- byte strings: byte[] ----------------------------------------------------------------- */
%typemap(jni) std::string, const std::string & "jbyteArray"
%typemap(jtype) std::string, const std::string & "byte[]"
%typemap(jstype) std::string, const std::string & "byte[]"
%typemap(javain) const std::string & "$javainput"
%typemap(javaout) std::string { return $jnicall; }
%typemap(in) const std::string & (std::string temp) %{
    if (!$input) {
        SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null byte[]");
        return $null;
    }
    {
        jsize n = jenv->GetArrayLength($input);
        temp.resize((size_t)n);
        if (n > 0) jenv->GetByteArrayRegion($input, 0, n, (jbyte *)&temp[0]);
    }
    $1 = &temp;
%}
%typemap(out) std::string %{
    $result = jenv->NewByteArray((jsize)$1.size());
    if ($result && !$1.empty()) jenv->SetByteArrayRegion($result, 0, (jsize)$1.size(), (const jbyte *)$1.data());
%}

/* ---- number vectors: primitive arrays ----------------------------------------------------- */
%define LH_JAVA_ARRAY(CTYPE, JNITYPE, JTYPE, JELEM, NEWFN, GETFN, SETFN)
%typemap(jni) std::vector<CTYPE>, const std::vector<CTYPE> & "JNITYPE"
%typemap(jtype) std::vector<CTYPE>, const std::vector<CTYPE> & "JTYPE"
%typemap(jstype) std::vector<CTYPE>, const std::vector<CTYPE> & "JTYPE"
%typemap(javain) const std::vector<CTYPE> & "$javainput"
%typemap(javaout) std::vector<CTYPE> { return $jnicall; }
%typemap(in) const std::vector<CTYPE> & (std::vector<CTYPE> temp) %{
    if (!$input) {
        SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null array");
        return $null;
    }
    {
        jsize n = jenv->GetArrayLength($input);
        temp.resize((size_t)n);
        if (n > 0) jenv->GETFN($input, 0, n, (JELEM *)&temp[0]);
    }
    $1 = &temp;
%}
%typemap(out) std::vector<CTYPE> %{
    $result = jenv->NEWFN((jsize)$1.size());
    if ($result && !$1.empty()) jenv->SETFN($result, 0, (jsize)$1.size(), (const JELEM *)&($1)[0]);
%}
%enddef
LH_JAVA_ARRAY(int32_t, jintArray, int[], jint, NewIntArray, GetIntArrayRegion, SetIntArrayRegion)
LH_JAVA_ARRAY(int64_t, jlongArray, long[], jlong, NewLongArray, GetLongArrayRegion, SetLongArrayRegion)
LH_JAVA_ARRAY(float, jfloatArray, float[], jfloat, NewFloatArray, GetFloatArrayRegion, SetFloatArrayRegion)

%include "common/longheads.i"
