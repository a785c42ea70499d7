using System;
using System.Runtime.InteropServices;

namespace LongHeads
{
    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE (unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set) before the
    /// native library loads. libgomp, which oneDNN runs on, reads the variable once when it is
    /// loaded, and its spinning threads otherwise slow the attention 10-100x on a busy machine.
    /// Environment.SetEnvironmentVariable does not reach the C environment on Mono, so this
    /// calls the C library's setenv. Every generated proxy constructor calls Prepare() first.
    /// </summary>
    internal static class NativeEnvironment
    {
        static readonly object gate = new object();
        static bool prepared;

        [DllImport("libc", EntryPoint = "setenv")]
        static extern int SetEnv(string name, string value, int overwrite);

        [DllImport("libc", EntryPoint = "getenv")]
        static extern IntPtr GetEnv(string name);

        internal static bool Prepare()
        {
            lock (gate)
            {
                if (prepared) return true;
                prepared = true;
                try
                {
                    if (Environment.OSVersion.Platform == PlatformID.Unix && GetEnv("GOMP_SPINCOUNT") == IntPtr.Zero)
                        SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);  // 0: a policy the user set stays
                }
                catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
                {
                    // No C library by that name: libgomp keeps its default policy (slower, still correct).
                }
                return true;
            }
        }
    }
}
