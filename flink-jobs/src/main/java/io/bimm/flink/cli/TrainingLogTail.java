package io.bimm.flink.cli;

import io.bimm.flink.train.TrainingLogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows a training log as the sink writes it: each {@link #poll} returns the complete lines added
 * since the last. Starts near the end (older lines are history, not progress); when the file
 * shrinks (the sink cut it back at a restore), it starts again near the new end.
 */
final class TrainingLogTail {

    /** How far before the end reading starts (a few lines). */
    static final int BACKLOG = 16 * 1024;

    private static final int MAX_READ = 1 << 20;

    private final Path file;
    private long offset = -1;
    private boolean skipPartial;

    TrainingLogTail(Path file) {
        this.file = file;
    }

    /** The entries of the complete lines written since the last poll (none when no file). */
    List<TrainingLogEntry> poll() throws IOException {
        List<TrainingLogEntry> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset < 0 || size < offset) {
                offset = Math.max(0, size - BACKLOG);
                skipPartial = offset > 0;
            }
            int n = (int) Math.min(MAX_READ, size - offset);
            if (n <= 0) {
                return out;
            }
            ByteBuffer buf = ByteBuffer.allocate(n);
            while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
                // read all n bytes
            }
            byte[] bytes = buf.array();
            int start = 0;
            for (int i = 0; i < buf.position(); i++) {
                if (bytes[i] != '\n') {
                    continue;
                }
                if (skipPartial) {
                    skipPartial = false; // the rest of a line cut by the backlog's start
                } else {
                    String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                    try {
                        out.add(TrainingLogEntry.parse(line));
                    } catch (IllegalArgumentException ignored) {
                        // a torn or foreign line
                    }
                }
                start = i + 1;
            }
            offset += start;
        } catch (NoSuchFileException e) {
            return out;
        }
        return out;
    }
}
