package ai.longheads;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;

/**
 * Loading the JNI library, and library-wide facts.
 *
 * <p>The classes of this package load the JNI library ({@code liblongheads_java.so}) on first
 * use, trying in order: the system property {@code longheads.library} (a file path), then
 * {@code System.loadLibrary("longheads_java")} (directories of {@code java.library.path}),
 * then the jar's own directory and the installed library directory relative to it
 * ({@code <prefix>/share/java/longheads.jar} next to {@code <prefix>/lib}). Call
 * {@link #load(String)} first to use an explicit path instead.
 */
public final class LongHeads {
    private static boolean loaded;

    private LongHeads() {}

    /** Loads the JNI library from this file (a no-op if a library is loaded already). */
    public static synchronized void load(String path) {
        if (loaded) return;
        System.load(new File(path).getAbsolutePath());
        loaded = true;
    }

    /** Loads the JNI library from the default places (see the class comment). */
    public static synchronized void load() {
        if (loaded) return;
        String explicit = System.getProperty("longheads.library");
        if (explicit != null && !explicit.isEmpty()) {
            load(explicit);
            return;
        }
        UnsatisfiedLinkError first;
        try {
            System.loadLibrary(BuildConfig.JNI_LIBRARY);
            loaded = true;
            return;
        } catch (UnsatisfiedLinkError e) {
            first = e;
        }
        String fileName = System.mapLibraryName(BuildConfig.JNI_LIBRARY);
        File jarDir = jarDirectory();
        if (jarDir != null) {
            for (File candidate : new File[] {
                    new File(jarDir, fileName), new File(new File(jarDir, BuildConfig.JAR_TO_LIBDIR), fileName)}) {
                if (candidate.isFile()) {
                    System.load(candidate.getAbsolutePath());
                    loaded = true;
                    return;
                }
            }
        }
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(
                "cannot load the longheads JNI library " + fileName
                + ": set -Djava.library.path=<dir>, -Dlongheads.library=<file>, or call LongHeads.load(path) ("
                + first.getMessage() + ")");
        e.initCause(first);
        throw e;
    }

    static void ensureLoaded() {
        if (!loaded) load();
    }

    /** The native library's version, "MAJOR.MINOR.PATCH". */
    public static String version() {
        ensureLoaded();
        return new String(ai.longheads.internal.LongHeadsNative.version(), StandardCharsets.UTF_8);
    }

    /**
     * Instruction-set level of the native kernels in this process: "generic", "avx2", "avx512" or
     * "avx512_bf16" (the highest the CPU runs, or a lower one named by LONGHEADS_CPU).
     */
    public static String cpuLevel() {
        ensureLoaded();
        return new String(ai.longheads.internal.LongHeadsNative.cpuLevel(), StandardCharsets.UTF_8);
    }

    private static File jarDirectory() {
        try {
            CodeSource source = LongHeads.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) return null;
            File f = new File(source.getLocation().toURI());
            return f.isFile() ? f.getParentFile() : f;
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    static byte[] utf8(String s, String what) {
        if (s == null) throw new NullPointerException(what + " is null");
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
