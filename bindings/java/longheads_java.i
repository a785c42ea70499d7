/* Java side of the longheads binding: generated classes in package `ai.longheads` (build flag
 * -package) over the JNI library `longheads_java`:
 * - public: the C API's parameter structs (ModelOptions, ContextOptions, SamplerOptions,
 *   GenerateOptions, ModelInfo: a getter and a setter per C field) and its enums as Java enums
 *   (Attention.LONGHEADS, ... with canonicalName() and fromName(String));
 * - package-private: the facade (NativeModel, NativeContext, ...), which the hand-written
 *   public classes (Model, Context, GenerationStream, Sampler; bindings/java/ai/longheads/) adapt.
 *
 * - std::string is a byte string and travels as byte[] (JNI's String conversions use
 *   "modified UTF-8", which mangles characters outside the BMP and NUL); the public classes
 *   encode and decode UTF-8 with java.nio.charset.StandardCharsets.
 * - Number vectors travel as int[] / long[] / float[] with one bulk copy each way.
 * - A failed call throws ai.longheads.LongHeadsException (status + message).
 */
%module LongHeadsNative

%pragma(java) jniclassclassmodifiers="final class"
%pragma(java) moduleclassmodifiers="final class"
/* Whatever class is used first, the native library is loaded (after OMP_WAIT_POLICY is set). */
%pragma(java) jniclasscode=%{
  static {
    LongHeads.ensureLoaded();
  }
%}
%typemap(javaclassmodifiers) longheads::Model, longheads::Context, longheads::Generation, longheads::Sampler,
                             longheads::Chat, longheads::ChatMessages "final class"

/* Proper Java enums whose constants are the C values (no JNI call to read them). */
%include "enums.swg"
%javaconst(1);
/* uint64_t (seed, memory budget) as long, carrying the bit pattern. */
%apply int64_t { uint64_t };

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
%define LH_ENUM_VALUE_NAMES
%rename("%(regex:/^LH_(?:ERROR_|ATTENTION_|PRECISION_|PREFILL_|KV_|CHUNK_SCORE_|STOP_)?(.*)$/\\1/)s", %$isenumitem) "";
%enddef
/* GenerateOptions also carries what lh_generate_params borrows: the sampler options and the
 * stop strings. */
%typemap(javacode) lh_generate_params %{
  private SamplerOptions sampling = new SamplerOptions();
  private final java.util.List<String> stop = new java.util.ArrayList<>();

  /** How tokens are chosen (lh_generate_params.sampling); change it in place. */
  public SamplerOptions getSampling() {
    return sampling;
  }

  public void setSampling(SamplerOptions sampling) {
    if (sampling == null) throw new NullPointerException("sampling");
    this.sampling = sampling;
  }

  /** Stop strings (a mutable list): the text ends before the first that appears. */
  public java.util.List<String> getStop() {
    return stop;
  }

  String[] stopArray() {
    return stop.toArray(new String[0]);
  }
%}

%define LH_LANG_ENUM(CTYPE, SNAME, NAME)
%typemap(javacode) CTYPE %{
  /** The C API's canonical name of this value (for example "longheads", "per_token"). */
  public String canonicalName() {
    return LongHeadsNative.SNAME##_name(this);
  }

  /**
   * The value of a name: canonical, in any case, '-' for '_', or an alias ("token", "max").
   *
   * @throws LongHeadsException (Status.INVALID_ARGUMENT) naming the valid names
   */
  public static NAME fromName(String name) {
    if (name == null) throw new NullPointerException("name");
    return LongHeadsNative.SNAME##_from_name(LongHeads.utf8(name, "name"));
  }
%}
%enddef

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

/* ---- string lists: String[] (UTF-8 encoded in Java) ---------------------------------------- */
%typemap(jni) const std::vector<std::string> & "jobjectArray"
%typemap(jtype) const std::vector<std::string> & "byte[][]"
%typemap(jstype) const std::vector<std::string> & "String[]"
%typemap(javain) const std::vector<std::string> & "LongHeads.utf8All($javainput)"
%typemap(in) const std::vector<std::string> & (std::vector<std::string> temp) %{
    if (!$input) {
        SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null array");
        return $null;
    }
    {
        jsize count = jenv->GetArrayLength($input);
        for (jsize i = 0; i < count; ++i) {
            jbyteArray item = (jbyteArray)jenv->GetObjectArrayElement($input, i);
            if (!item) {
                SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null string in the array");
                return $null;
            }
            jsize n = jenv->GetArrayLength(item);
            std::string s((size_t)n, '\0');
            if (n > 0) jenv->GetByteArrayRegion(item, 0, n, (jbyte *)&s[0]);
            jenv->DeleteLocalRef(item);
            temp.push_back(s);
        }
    }
    $1 = &temp;
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
