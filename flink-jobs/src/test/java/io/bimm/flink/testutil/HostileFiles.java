package io.bimm.flink.testutil;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** Real special files for the tests of reading user files: FIFOs and huge sparse files. */
public final class HostileFiles {
    private HostileFiles() {}

    /** A FIFO at {@code p} (mkfifo); opening it for reading blocks until a writer comes. */
    public static Path fifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        if (mk.waitFor() != 0) {
            throw new IOException("mkfifo " + p + " failed.");
        }
        return p;
    }

    /** A sparse file of {@code bytes} at {@code p}: its size without its blocks. */
    public static Path sparse(Path p, long bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        return p;
    }
}
