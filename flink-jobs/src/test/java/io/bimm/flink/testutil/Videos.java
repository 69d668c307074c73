package io.bimm.flink.testutil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared sample videos, ../shared/data/videos relative to the repository root. */
public final class Videos {
    private Videos() {}

    public static Path dir() {
        Path d = Path.of("").toAbsolutePath();
        for (; d != null; d = d.getParent()) {
            Path v = d.resolve("../shared/data/videos").normalize();
            if (Files.isDirectory(v)) {
                return v;
            }
        }
        return Path.of("/work/shared/data/videos");
    }

    public static Path path(String name) {
        return dir().resolve(name);
    }

    public static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
