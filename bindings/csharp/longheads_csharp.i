/* C# side of the longheads binding: generated classes in namespace LongHeads over the native
 * library `longheads_csharp`, compiled together with the hand-written public API
 * (bindings/csharp/*.cs) into LongHeads.dll:
 * - public: the C API's parameter structs (ModelOptions, ContextOptions, SamplerOptions,
 *   GenerateOptions, ModelInfo: a property per C field) and its enums (Attention.LongHeads,
 *   ...), and the static class Library: Version(), value.Name() ("longheads") and
 *   Library.ParseAttention("longheads") for every enum;
 * - internal: the facade (NativeModel, NativeContext, ...), which the hand-written public
 *   classes (Model, Context, GenerationStream, Sampler) adapt.
 *
 * - std::string is a byte string and travels as byte[] (the public classes encode / decode
 *   UTF-8 with System.Text.Encoding.UTF8, so nothing depends on the platform's string
 *   marshalling); number vectors travel as int[] / long[] / float[]. Both ways one bulk copy
 *   through a small native buffer (LhCs_* helpers below), because C# typemaps cannot pass an
 *   array and its length as one argument.
 * - A failed call throws LongHeads.LongHeadsException (status + message), through SWIG's
 *   pending-exception mechanism and a registered callback (the custom exception pattern of
 *   the SWIG C# manual).
 * - Only netstandard APIs are used (DllImport, Marshal.Copy): runs on Mono and .NET.
 */
%module Library

/* The module class is public: Library.Version(), and the enum name extensions (Names below). */
%pragma(csharp) moduleclassmodifiers="public static partial class"
%typemap(csclassmodifiers) longheads::Model, longheads::Context, longheads::Generation, longheads::Sampler,
                           longheads::Chat, longheads::ChatMessages "internal class"
/* Every proxy constructor first sets OMP_WAIT_POLICY (NativeEnvironment), before its call into
 * the native library loads libgomp, which reads the variable once. */
%typemap(csconstruct, excode=SWIGEXCODE) SWIGTYPE %{: this(global::LongHeads.NativeEnvironment.Prepare() ? $imcall : global::System.IntPtr.Zero, true) {$excode
  }
%}

%{
#include <cstring>
#include <vector>

#include "longheads_facade.hpp"

typedef void (SWIGSTDCALL *LhCsErrorCallback)(int status, const char *message, int length);
static LhCsErrorCallback lh_cs_error_callback = 0;

static void lh_cs_raise(int status, const char *message) {
    if (lh_cs_error_callback) lh_cs_error_callback(status, message, (int)std::strlen(message));
    else SWIG_CSharpSetPendingException(SWIG_CSharpApplicationException, message);
}

template <typename T>
static void *lh_cs_vector_new(const T *data, int n) {
    return new std::vector<T>(data, data + (data && n > 0 ? n : 0));
}

extern "C" {
SWIGEXPORT void SWIGSTDCALL LhCs_RegisterErrorCallback(LhCsErrorCallback callback) { lh_cs_error_callback = callback; }

SWIGEXPORT void *SWIGSTDCALL LhCs_BytesNew(const char *data, int n) {
    return new std::string(data && n > 0 ? data : "", data && n > 0 ? (size_t)n : 0);
}
SWIGEXPORT int SWIGSTDCALL LhCs_BytesSize(void *p) { return p ? (int)static_cast<std::string *>(p)->size() : 0; }
SWIGEXPORT const void *SWIGSTDCALL LhCs_BytesData(void *p) { return p ? static_cast<std::string *>(p)->data() : 0; }
SWIGEXPORT void SWIGSTDCALL LhCs_BytesFree(void *p) { delete static_cast<std::string *>(p); }

SWIGEXPORT void *SWIGSTDCALL LhCs_StringsNew() { return new std::vector<std::string>(); }
SWIGEXPORT void SWIGSTDCALL LhCs_StringsAdd(void *p, const char *data, int n) {
    static_cast<std::vector<std::string> *>(p)->emplace_back(data && n > 0 ? data : "", data && n > 0 ? (size_t)n : 0);
}
SWIGEXPORT void SWIGSTDCALL LhCs_StringsFree(void *p) { delete static_cast<std::vector<std::string> *>(p); }

SWIGEXPORT void *SWIGSTDCALL LhCs_Int32New(const int32_t *data, int n) { return lh_cs_vector_new(data, n); }
SWIGEXPORT int SWIGSTDCALL LhCs_Int32Size(void *p) { return p ? (int)static_cast<std::vector<int32_t> *>(p)->size() : 0; }
SWIGEXPORT const void *SWIGSTDCALL LhCs_Int32Data(void *p) { return p ? static_cast<std::vector<int32_t> *>(p)->data() : 0; }
SWIGEXPORT void SWIGSTDCALL LhCs_Int32Free(void *p) { delete static_cast<std::vector<int32_t> *>(p); }

SWIGEXPORT void *SWIGSTDCALL LhCs_Int64New(const int64_t *data, int n) { return lh_cs_vector_new(data, n); }
SWIGEXPORT int SWIGSTDCALL LhCs_Int64Size(void *p) { return p ? (int)static_cast<std::vector<int64_t> *>(p)->size() : 0; }
SWIGEXPORT const void *SWIGSTDCALL LhCs_Int64Data(void *p) { return p ? static_cast<std::vector<int64_t> *>(p)->data() : 0; }
SWIGEXPORT void SWIGSTDCALL LhCs_Int64Free(void *p) { delete static_cast<std::vector<int64_t> *>(p); }

SWIGEXPORT void *SWIGSTDCALL LhCs_FloatNew(const float *data, int n) { return lh_cs_vector_new(data, n); }
SWIGEXPORT int SWIGSTDCALL LhCs_FloatSize(void *p) { return p ? (int)static_cast<std::vector<float> *>(p)->size() : 0; }
SWIGEXPORT const void *SWIGSTDCALL LhCs_FloatData(void *p) { return p ? static_cast<std::vector<float> *>(p)->data() : 0; }
SWIGEXPORT void SWIGSTDCALL LhCs_FloatFree(void *p) { delete static_cast<std::vector<float> *>(p); }
}
%}

%pragma(csharp) imclasscode=%{
  // ---- longheads: native buffers and the exception callback (see longheads_csharp.i) ----
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_BytesNew")]
  public static extern global::System.IntPtr LhCs_BytesNew(byte[] data, int n);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_BytesSize")]
  public static extern int LhCs_BytesSize(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_BytesData")]
  public static extern global::System.IntPtr LhCs_BytesData(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_BytesFree")]
  public static extern void LhCs_BytesFree(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_StringsNew")]
  public static extern global::System.IntPtr LhCs_StringsNew();
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_StringsAdd")]
  public static extern void LhCs_StringsAdd(global::System.IntPtr p, byte[] data, int n);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_StringsFree")]
  public static extern void LhCs_StringsFree(global::System.IntPtr p);

  internal static global::System.IntPtr LhCs_MakeStrings(string[] strings) {
    if (strings == null) throw new global::System.ArgumentNullException("strings");
    global::System.IntPtr p = LhCs_StringsNew();
    foreach (string s in strings) {
      if (s == null) { LhCs_StringsFree(p); throw new global::System.ArgumentNullException("strings", "a string is null"); }
      byte[] b = global::System.Text.Encoding.UTF8.GetBytes(s);
      LhCs_StringsAdd(p, b, b.Length);
    }
    return p;
  }

  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int32New")]
  public static extern global::System.IntPtr LhCs_Int32New(int[] data, int n);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int32Size")]
  public static extern int LhCs_Int32Size(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int32Data")]
  public static extern global::System.IntPtr LhCs_Int32Data(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int32Free")]
  public static extern void LhCs_Int32Free(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int64New")]
  public static extern global::System.IntPtr LhCs_Int64New(long[] data, int n);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int64Size")]
  public static extern int LhCs_Int64Size(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int64Data")]
  public static extern global::System.IntPtr LhCs_Int64Data(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_Int64Free")]
  public static extern void LhCs_Int64Free(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_FloatNew")]
  public static extern global::System.IntPtr LhCs_FloatNew(float[] data, int n);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_FloatSize")]
  public static extern int LhCs_FloatSize(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_FloatData")]
  public static extern global::System.IntPtr LhCs_FloatData(global::System.IntPtr p);
  [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_FloatFree")]
  public static extern void LhCs_FloatFree(global::System.IntPtr p);

  internal static byte[] LhCs_TakeBytes(global::System.IntPtr p) {
    if (p == global::System.IntPtr.Zero) return new byte[0];
    try {
      byte[] a = new byte[LhCs_BytesSize(p)];
      if (a.Length > 0) global::System.Runtime.InteropServices.Marshal.Copy(LhCs_BytesData(p), a, 0, a.Length);
      return a;
    } finally { LhCs_BytesFree(p); }
  }
  internal static int[] LhCs_TakeInt32(global::System.IntPtr p) {
    if (p == global::System.IntPtr.Zero) return new int[0];
    try {
      int[] a = new int[LhCs_Int32Size(p)];
      if (a.Length > 0) global::System.Runtime.InteropServices.Marshal.Copy(LhCs_Int32Data(p), a, 0, a.Length);
      return a;
    } finally { LhCs_Int32Free(p); }
  }
  internal static long[] LhCs_TakeInt64(global::System.IntPtr p) {
    if (p == global::System.IntPtr.Zero) return new long[0];
    try {
      long[] a = new long[LhCs_Int64Size(p)];
      if (a.Length > 0) global::System.Runtime.InteropServices.Marshal.Copy(LhCs_Int64Data(p), a, 0, a.Length);
      return a;
    } finally { LhCs_Int64Free(p); }
  }
  internal static float[] LhCs_TakeFloat(global::System.IntPtr p) {
    if (p == global::System.IntPtr.Zero) return new float[0];
    try {
      float[] a = new float[LhCs_FloatSize(p)];
      if (a.Length > 0) global::System.Runtime.InteropServices.Marshal.Copy(LhCs_FloatData(p), a, 0, a.Length);
      return a;
    } finally { LhCs_FloatFree(p); }
  }

  // Failed calls: the native side reports (status, UTF-8 message) here; the wrapper then
  // throws the pending LongHeads.LongHeadsException.
  internal class LhErrorHelper {
    public delegate void ErrorDelegate(int status, global::System.IntPtr message, int length);
    static ErrorDelegate errorDelegate = new ErrorDelegate(SetPending);

    [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="LhCs_RegisterErrorCallback")]
    public static extern void LhCs_RegisterErrorCallback(ErrorDelegate callback);

    static void SetPending(int status, global::System.IntPtr message, int length) {
      byte[] bytes = new byte[length > 0 ? length : 0];
      if (bytes.Length > 0) global::System.Runtime.InteropServices.Marshal.Copy(message, bytes, 0, bytes.Length);
      string text = global::System.Text.Encoding.UTF8.GetString(bytes);
      SWIGPendingException.Set(new global::LongHeads.LongHeadsException((global::LongHeads.Status)status, text));
    }

    static LhErrorHelper() { LhCs_RegisterErrorCallback(errorDelegate); }
  }
  static protected LhErrorHelper lhErrorHelper = new LhErrorHelper();
%}

%define LH_RAISE(status, message)
lh_cs_raise(status, message); return $null;
%enddef
%define LH_CASE "%(camelcase)s" %enddef
/* LH_ATTENTION_FULL -> Full, LH_PREFILL_PER_TOKEN -> PerToken, LH_ERROR_OUT_OF_MEMORY ->
 * OutOfMemory (two rules: SWIG caps the length of one). */
%define LH_ENUM_VALUE_NAMES
%rename("%(regex:/^LH_(?:ATTENTION_|PRECISION_|PREFILL_|KV_|CHUNK_SCORE_|STOP_)?(.)([^_]*)_?(.?)([^_]*)$/\\1\\L\\2\\E\\3\\L\\4/)s", %$isenumitem) "";
%rename("%(regex:/^LH_(?:ERROR_)?(.)([^_]*)_?(.?)([^_]*)_?(.?)([^_]*)$/\\1\\L\\2\\E\\3\\L\\4\\E\\5\\L\\6/)s", regextarget=1, %$isenumitem) "^LH_(OK|ERROR_)";
%rename(LongHeads) LH_ATTENTION_LONGHEADS;
%enddef
/* GenerateOptions also carries what lh_generate_params borrows: the sampler options and the
 * stop strings (new GenerateOptions { MaxTokens = 16, Sampling = { Temperature = 0 }, Stop = { "." } }). */
%typemap(cscode) lh_generate_params %{
  /// <summary>How tokens are chosen (lh_generate_params.sampling).</summary>
  public SamplerOptions Sampling { get; set; } = new SamplerOptions();
  /// <summary>Stop strings: the text ends before the first that appears.</summary>
  public global::System.Collections.Generic.IList<string> Stop { get; set; } = new global::System.Collections.Generic.List<string>();
%}

%define LH_LANG_ENUM(CTYPE, SNAME, NAME)
%csmethodmodifiers SNAME##_name "internal";
%csmethodmodifiers SNAME##_from_name "internal";
%pragma(csharp) modulecode=%{
  /// <summary>The C API's canonical name of this value (for example "longheads").</summary>
  public static string Name(this NAME value) { return SNAME##_name(value); }
  /// <summary>The value of a name: canonical, in any case, '-' for '_', or an alias ("token", "max").</summary>
  /// <exception cref="LongHeadsException">Status InvalidArgument, naming the valid names.</exception>
  public static NAME Parse##NAME(string name) { return SNAME##_from_name(Utf8.Bytes(name, "name")); }
%}
%enddef

/* ---- string lists: string[] (UTF-8 encoded in C#) ----------------------------------------- */
%typemap(ctype) const std::vector<std::string> & "void *"
%typemap(imtype) const std::vector<std::string> & "global::System.IntPtr"
%typemap(cstype) const std::vector<std::string> & "string[]"
%typemap(csin,
         pre="    global::System.IntPtr tmp$csinput = $imclassname.LhCs_MakeStrings($csinput);",
         post="      $imclassname.LhCs_StringsFree(tmp$csinput);") const std::vector<std::string> & "tmp$csinput"
%typemap(in, canthrow=1) const std::vector<std::string> & %{
    $1 = ($1_ltype)$input;
    if (!$1) {
        SWIG_CSharpSetPendingExceptionArgument(SWIG_CSharpArgumentNullException, "null array", 0);
        return $null;
    }
%}

/* ---- byte strings: byte[] ----------------------------------------------------------------- */
%define LH_CS_BUFFER(CTYPE, CSTYPE, NEWFN, FREEFN, TAKEFN)
%typemap(ctype) CTYPE, const CTYPE & "void *"
%typemap(imtype) CTYPE, const CTYPE & "global::System.IntPtr"
%typemap(cstype) CTYPE, const CTYPE & "CSTYPE"
%typemap(csin,
         pre="    global::System.IntPtr tmp$csinput = $imclassname.NEWFN($csinput, $csinput.Length);",
         post="      $imclassname.FREEFN(tmp$csinput);") const CTYPE & "tmp$csinput"
%typemap(in, canthrow=1) const CTYPE & %{
    $1 = ($1_ltype)$input;
    if (!$1) {
        SWIG_CSharpSetPendingExceptionArgument(SWIG_CSharpArgumentNullException, "null array", 0);
        return $null;
    }
%}
%typemap(out) CTYPE %{ $result = new CTYPE($1); %}
%typemap(csout, excode=SWIGEXCODE) CTYPE {
    global::System.IntPtr p = $imcall;$excode
    return $imclassname.TAKEFN(p);
  }
%enddef
LH_CS_BUFFER(std::string, byte[], LhCs_BytesNew, LhCs_BytesFree, LhCs_TakeBytes)
LH_CS_BUFFER(std::vector<int32_t>, int[], LhCs_Int32New, LhCs_Int32Free, LhCs_TakeInt32)
LH_CS_BUFFER(std::vector<int64_t>, long[], LhCs_Int64New, LhCs_Int64Free, LhCs_TakeInt64)
LH_CS_BUFFER(std::vector<float>, float[], LhCs_FloatNew, LhCs_FloatFree, LhCs_TakeFloat)

%include "common/longheads.i"
