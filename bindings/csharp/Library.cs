namespace LongHeads
{
    /// <summary>Facts about the native library loaded in this process.</summary>
    public static class Library
    {
        /// <summary>The native library's version, "MAJOR.MINOR.PATCH".</summary>
        public static string Version => Utf8.Text(Native.LongHeadsNative.Version());

        /// <summary>
        /// Instruction-set level of the native kernels in this process: "generic", "avx2",
        /// "avx512" or "avx512_bf16" (the highest the CPU runs, or a lower one named by the
        /// environment variable LONGHEADS_CPU).
        /// </summary>
        public static string CpuLevel => Utf8.Text(Native.LongHeadsNative.CpuLevel());
    }
}
