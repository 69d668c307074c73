package io.bimm.flink.ingest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared sample videos ({@code ../shared/data/videos} beside the repository). */
public final class TestVideos {

    private TestVideos() {}

    /** The sample video directory; fails with a clear message when it is missing. */
    public static Path dir() {
        String override = System.getProperty("bimm.test.videos");
        if (override != null) {
            return Paths.get(override);
        }
        Path here = Paths.get("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data/videos");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            candidate = p.resolveSibling("shared").resolve("data/videos");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "Sample videos not found: expected ../shared/data/videos beside the repository"
                        + " (or -Dbimm.test.videos=DIR).");
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }
}
