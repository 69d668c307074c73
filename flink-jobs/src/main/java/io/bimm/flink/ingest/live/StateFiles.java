package io.bimm.flink.ingest.live;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the small state files of {@code ingest --follow} durably: a whole file is
 * replaced atomically (written beside it, forced to disk, renamed over it, the directory forced),
 * and reading is bounded (a damaged or foreign file cannot make it allocate without limit).
 */
final class StateFiles {

    /** Longest line read; longer ones are skipped. */
    static final int MAX_LINE = 8192;

    private StateFiles() {}

    /** The lines of {@code file} (none when it does not exist), at most {@code maxLines}. */
    static List<String> readLines(Path file, int maxLines) throws IOException {
        List<String> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            return lines;
        }
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null && lines.size() < maxLines) {
                if (!line.isBlank() && line.length() <= MAX_LINE) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    /** Replaces {@code file} with {@code lines}, atomically and durably. */
    static void replace(Path file, List<String> lines) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch =
                FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            StringBuilder s = new StringBuilder();
            for (String line : lines) {
                s.append(line).append('\n');
            }
            write(ch, s.toString());
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(file.toAbsolutePath().getParent());
    }

    /** Appends one line to {@code file} and forces it to disk before returning. */
    static void append(Path file, String line) throws IOException {
        try (FileChannel ch =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
            write(ch, line + "\n");
            ch.force(true);
        }
    }

    private static void write(FileChannel ch, String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can open a directory; the rename itself is still atomic.
        }
    }
}
