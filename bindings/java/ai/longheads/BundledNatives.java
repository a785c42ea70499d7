package ai.longheads;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The native libraries the jar carries for its platform (resources under
 * {@code ai/longheads/native/<platform>/}, listed in load order in {@code libraries.txt}):
 * extracted into a private temporary directory and loaded by absolute path, the library the
 * JNI library depends on first, so that its SONAME is already satisfied.
 */
final class BundledNatives {
    private BundledNatives() {}

    /** "linux-x86_64" on Linux x86-64, null where the jar carries nothing. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase();
        String arch = System.getProperty("os.arch", "").toLowerCase();
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) return "linux-x86_64";
        return null;
    }

    /**
     * Loads the bundled libraries; false when the jar has none for this platform. Throws
     * UnsatisfiedLinkError when they are there but cannot be extracted or loaded.
     */
    static boolean load() {
        String platform = platform();
        if (platform == null) return false;
        String dir = "native/" + platform + "/";
        List<String> names = list(dir + "libraries.txt");
        if (names.isEmpty()) return false;
        Path tmp;
        try {
            tmp = Files.createTempDirectory("longheads-native-");
            tmp.toFile().deleteOnExit();
            List<File> files = new ArrayList<>();
            for (String name : names) {
                File f = tmp.resolve(name).toFile();
                try (InputStream in = BundledNatives.class.getResourceAsStream(dir + name)) {
                    if (in == null) throw new IOException("resource " + dir + name + " missing from the jar");
                    Files.copy(in, f.toPath(), StandardCopyOption.REPLACE_EXISTING);
                }
                f.deleteOnExit();
                files.add(f);
            }
            // Loaded (mapped) files may be unlinked at exit on Linux: nothing is left behind.
            for (File f : files) System.load(f.getAbsolutePath());
            return true;
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                    "cannot extract the native libraries the longheads jar carries: " + e.getMessage());
            err.initCause(e);
            throw err;
        }
    }

    private static List<String> list(String resource) {
        List<String> names = new ArrayList<>();
        try (InputStream in = BundledNatives.class.getResourceAsStream(resource)) {
            if (in == null) return names;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line = line.trim();
                if (!line.isEmpty()) names.add(line);
            }
        } catch (IOException e) {
            return new ArrayList<>();
        }
        return names;
    }
}
