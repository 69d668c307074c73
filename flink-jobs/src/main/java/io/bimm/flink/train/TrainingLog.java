package io.bimm.flink.train;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@value #FILE} in the checkpoint directory: one JSON line per step (or per {@code
 * train.log-every} steps), describing the model's actual history across restarts. Opened at the
 * model state the job starts from, it drops the lines past that state (those of an abandoned
 * attempt, and a line torn by a crash), so that a restore to step K continues the log at K. Lines
 * are written whole with one write each; {@link #sync} (at every snapshot) makes those of a model
 * checkpoint durable before the checkpoint's pointer is. Write failures are logged, never fatal.
 */
public final class TrainingLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLog.class);

    /** The log's file name in the checkpoint directory. */
    public static final String FILE = "training-log.jsonl";

    private final Path file;
    private final FileChannel channel;
    private final int every;
    private boolean warned;

    private TrainingLog(Path file, FileChannel channel, int every) {
        this.file = file;
        this.channel = channel;
        this.every = every;
    }

    /**
     * Opens the log of {@code dir} for a model at {@code step} after {@code skippedSteps} skipped
     * ones: later lines, and an incomplete last line, are cut off (and the cut made durable).
     */
    static TrainingLog open(Path dir, long step, long skippedSteps, int every) throws IOException {
        if (every < 1) {
            throw new IllegalArgumentException("train.log-every must be >= 1, not " + every);
        }
        Path file = dir.resolve(FILE);
        FileChannel ch =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        try {
            long keep = keptBytes(file, step, skippedSteps);
            if (keep < ch.size()) {
                LOG.info(
                        "{}: dropped {} bytes past step {} (an abandoned attempt or a torn line)",
                        file,
                        ch.size() - keep,
                        step);
                ch.truncate(keep);
                ch.force(true);
            }
            ch.position(keep);
            return new TrainingLog(file, ch, every);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Whether the step is one to log: every {@code train.log-every}-th, and every skipped one. */
    boolean wants(long step, boolean skipped) {
        return skipped || step % every == 0;
    }

    /** Appends {@code e}; a failed write is undone and logged. */
    void append(TrainingLogEntry e) {
        byte[] line = (e.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
        long at = -1;
        try {
            at = channel.position();
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException ex) {
            undo(at, ex);
        }
    }

    /** Makes the lines written so far durable (the sink calls it with every snapshot). */
    void sync() {
        try {
            channel.force(false);
        } catch (IOException ex) {
            warn(ex);
        }
    }

    @Override
    public void close() throws IOException {
        sync();
        channel.close();
    }

    private void undo(long at, IOException ex) {
        // No half line for the next one to follow (a disk that filled up mid-write).
        try {
            if (at >= 0) {
                channel.truncate(at);
                channel.position(at);
            }
        } catch (IOException ignored) {
            // the reader skips a torn line; the next open cuts it off
        }
        warn(ex);
    }

    private void warn(IOException ex) {
        if (!warned) {
            warned = true;
            LOG.warn("Cannot write {} (training goes on): {}", file, ex.toString());
        }
    }

    /** The entries of {@code file} (none when it does not exist); torn or foreign lines skipped. */
    public static List<TrainingLogEntry> read(Path file) throws IOException {
        List<TrainingLogEntry> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            forEachLine(
                    in,
                    (line, end) -> {
                        TrainingLogEntry e = parseOrNull(line);
                        if (e != null) {
                            out.add(e);
                        }
                        return true;
                    });
        } catch (NoSuchFileException e) {
            return out;
        }
        return out;
    }

    /** Bytes of {@code file} up to the end of the last complete line at or before the state. */
    static long keptBytes(Path file, long step, long skippedSteps) throws IOException {
        long[] keep = {0};
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            forEachLine(
                    in,
                    (line, end) -> {
                        TrainingLogEntry e = parseOrNull(line);
                        if (e == null) {
                            return true; // a foreign line: neither kept nor the end
                        }
                        if (e.after(step, skippedSteps)) {
                            return false;
                        }
                        keep[0] = end;
                        return true;
                    });
        }
        return keep[0];
    }

    static TrainingLogEntry parseOrNull(String line) {
        try {
            return line.isBlank() ? null : TrainingLogEntry.parse(line);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Receives a complete line and the byte offset just past its newline; false stops. */
    private interface LineVisitor {
        boolean visit(String line, long end) throws IOException;
    }

    /** Visits the complete (newline-terminated) lines of {@code in}; a last partial one is not. */
    private static void forEachLine(InputStream in, LineVisitor visitor) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(512);
        long offset = 0;
        int b;
        while ((b = in.read()) >= 0) {
            offset++;
            if (b == '\n') {
                if (!visitor.visit(line.toString(StandardCharsets.UTF_8), offset)) {
                    return;
                }
                line.reset();
            } else {
                line.write(b);
            }
        }
    }
}
