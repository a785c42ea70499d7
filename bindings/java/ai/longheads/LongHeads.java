package ai.longheads;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;

/**
 * Loading the JNI library, and library-wide facts.
 *
 * <p>Before the JNI library, a tiny library ({@code liblongheads_java_env.so}, found the same
 * way) sets {@code OMP_WAIT_POLICY=PASSIVE} unless {@code OMP_WAIT_POLICY} or
 * {@code GOMP_SPINCOUNT} is set: libgomp (which oneDNN runs on) reads it once, when it loads,
 * and its spinning threads otherwise slow the attention 10-100x on a busy machine. Java cannot
 * change its own environment, so native code does it.
 *
 * <p>The classes of this package load the JNI library ({@code liblongheads_java.so}) on first
 * use, trying in order: the system property {@code longheads.library} (a file path), then the
 * native libraries the jar carries for its platform (linux-x86_64: liblongheads and the JNI
 * library, extracted to a temporary directory; so {@code java -cp longheads.jar} works from any
 * directory), then {@code System.loadLibrary("longheads_java")} (directories of
 * {@code java.library.path}), then the jar's own directory and the installed library directory
 * relative to it ({@code <prefix>/share/java/longheads.jar} next to {@code <prefix>/lib}). Call
 * {@link #load(String)} first to use an explicit path instead.
 */
public final class LongHeads {
    private static boolean loaded;

    private LongHeads() {}

    /** Loads the JNI library from this file (a no-op if a library is loaded already). */
    public static synchronized void load(String path) {
        if (loaded) return;
        File file = new File(path).getAbsoluteFile();
        loadEnvironment(file.getParentFile());
        System.load(file.getPath());
        loaded = true;
    }

    /** Sets OMP_WAIT_POLICY through the env library next to {@code dir} or on the library path. */
    private static void loadEnvironment(File dir) {
        String name = System.mapLibraryName(BuildConfig.ENV_LIBRARY);
        if (dir != null && new File(dir, name).isFile()) {
            System.load(new File(dir, name).getPath());
            return;
        }
        try {
            System.loadLibrary(BuildConfig.ENV_LIBRARY);
        } catch (UnsatisfiedLinkError e) {
            // Without it libgomp keeps its default (spinning) policy: slower, still correct.
        }
    }

    /** Loads the JNI library from the default places (see the class comment). */
    public static synchronized void load() {
        if (loaded) return;
        String explicit = System.getProperty("longheads.library");
        if (explicit != null && !explicit.isEmpty()) {
            load(explicit);
            return;
        }
        if (BundledNatives.load()) {
            loaded = true;
            return;
        }
        UnsatisfiedLinkError first;
        try {
            loadEnvironment(null);
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
                    loadEnvironment(candidate.getAbsoluteFile().getParentFile());
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
        return LongHeadsNative.version();
    }

    /**
     * Instruction-set level of the native kernels in this process: "generic", "avx2", "avx512" or
     * "avx512_bf16" (the highest the CPU runs, or a lower one named by LONGHEADS_CPU).
     */
    public static String cpuLevel() {
        ensureLoaded();
        return LongHeadsNative.cpuLevel();
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

    static byte[][] utf8All(String[] strings) {
        if (strings == null) throw new NullPointerException("strings");
        byte[][] out = new byte[strings.length][];
        for (int i = 0; i < strings.length; i++) out[i] = utf8(strings[i], "string " + i);
        return out;
    }

    static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
