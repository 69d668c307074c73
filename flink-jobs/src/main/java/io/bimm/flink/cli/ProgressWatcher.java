package io.bimm.flink.cli;

import io.bimm.flink.train.TrainingLog;
import io.bimm.flink.train.TrainingLogEntry;
import io.bimm.model.checkpoint.Checkpoints;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;

/**
 * Shows the progress line of a training run while it runs, on stderr, from the run's training log
 * ({@value TrainingLog#FILE} in the checkpoint directory, which {@code bimm train} reads for its
 * checkpoints anyway, so it works the same with a remote JobManager) and its new model checkpoints.
 *
 * <p>On a terminal the line is redrawn every second; anything else printed meanwhile (stdout, log
 * warnings through {@code System.err}) first erases it and is never interleaved with it: while it
 * runs, {@code System.out} and {@code System.err} are wrapped. Otherwise a plain line is printed
 * every {@code --progress-every}, and once at the end.
 */
final class ProgressWatcher implements AutoCloseable {

    private final ProgressOptions.Mode mode;
    private final long everyMillis;
    private final Path root;
    private final long maxSteps;
    private final long startedAt = System.currentTimeMillis();
    private final TrainingLogTail tail;
    private final Deque<TrainingLogEntry> window = new ArrayDeque<>();
    private final PrintStream err;
    private final PrintStream oldOut;
    private final PrintStream oldErr;
    private final Object lock = new Object();
    private final int columns;
    private final Thread thread;
    private boolean drawn;
    private boolean outAtLineStart = true;
    private boolean errAtLineStart = true;
    private Path lastCheckpoint;
    private int checkpoints;
    private volatile boolean stopped;

    private ProgressWatcher(ProgressOptions.Mode mode, Duration every, Path root, long maxSteps) {
        this.mode = mode;
        this.everyMillis = every.toMillis();
        this.root = root;
        this.maxSteps = maxSteps;
        this.tail = new TrainingLogTail(root.resolve(TrainingLog.FILE));
        this.oldOut = System.out;
        this.oldErr = System.err;
        this.err = oldErr;
        this.columns = mode == ProgressOptions.Mode.TERMINAL ? Terminal.columns() : 0;
        this.thread = new Thread(this::run, "bimm-progress");
        thread.setDaemon(true);
    }

    /**
     * Starts the line of a run into checkpoint directory {@code root} (null when {@code --progress
     * off}). A run's checkpoints are those written from now on.
     */
    static ProgressWatcher start(ProgressOptions options, Path root, long maxSteps) {
        ProgressOptions.Mode mode = options.mode();
        if (mode == ProgressOptions.Mode.OFF) {
            return null;
        }
        String log = System.getProperty("bimm.log.file");
        if (log != null) {
            System.err.println("Routine logs: " + Path.of(log).toAbsolutePath().normalize());
        }
        ProgressWatcher w =
                new ProgressWatcher(
                        mode, options.every(), root.toAbsolutePath().normalize(), maxSteps);
        if (mode == ProgressOptions.Mode.TERMINAL) {
            System.setOut(new PrintStream(w.guard(w.oldOut, true), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(w.guard(w.oldErr, false), true, StandardCharsets.UTF_8));
        }
        w.thread.start();
        return w;
    }

    private void run() {
        long lastPlain = System.currentTimeMillis();
        while (!stopped) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            String text = update();
            if (mode == ProgressOptions.Mode.TERMINAL) {
                draw(text);
            } else if (System.currentTimeMillis() - lastPlain >= everyMillis) {
                lastPlain = System.currentTimeMillis();
                err.print(ProgressLine.plain(LocalTime.now(), text));
                err.flush();
            }
        }
    }

    /** Reads what is new and returns the line's text. */
    private synchronized String update() {
        try {
            for (TrainingLogEntry e : tail.poll()) {
                // Lines of earlier runs (kept history) are not this run's progress.
                if (e.time().toEpochMilli() >= startedAt - 1000) {
                    while (!window.isEmpty() && window.peekLast().step() > e.step()) {
                        window.pollLast(); // cut back at a restore
                    }
                    window.addLast(e);
                }
            }
            Path latest = Checkpoints.latestSince(root, startedAt);
            if (latest != null && !latest.equals(lastCheckpoint)) {
                lastCheckpoint = latest;
                checkpoints++;
            }
        } catch (IOException | RuntimeException e) {
            // a file being replaced: next second
        }
        if (window.isEmpty()) {
            return ProgressLine.starting(
                    (System.currentTimeMillis() - startedAt) / 1000, checkpoints);
        }
        long newest = window.peekLast().time().toEpochMilli();
        while (window.size() > 2
                && window.peekFirst().time().toEpochMilli()
                        < newest - ProgressLine.WINDOW_SECONDS * 1000L) {
            window.pollFirst();
        }
        return ProgressLine.text(
                ProgressLine.stats(new ArrayList<>(window), maxSteps, checkpoints));
    }

    private void draw(String text) {
        synchronized (lock) {
            if (outAtLineStart && errAtLineStart) {
                err.print(ProgressLine.terminal(text, columns));
                err.flush();
                drawn = true;
            }
        }
    }

    /** Erases the line if it is drawn (holding the lock). */
    private void erase() {
        if (drawn) {
            err.print("\r" + ProgressLine.CLEAR_TO_END);
            err.flush();
            drawn = false;
        }
    }

    /** A stream that erases the line before {@code target} gets anything. */
    private OutputStream guard(PrintStream target, boolean isOut) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (len == 0) {
                    return;
                }
                synchronized (lock) {
                    erase();
                    target.write(b, off, len);
                    boolean atStart = b[off + len - 1] == '\n';
                    if (isOut) {
                        outAtLineStart = atStart;
                    } else {
                        errAtLineStart = atStart;
                    }
                }
            }

            @Override
            public void flush() {
                target.flush();
            }
        };
    }

    /** Stops the line: the last state stays on the terminal (or is printed once more). */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String text = update();
        if (mode == ProgressOptions.Mode.TERMINAL) {
            System.setOut(oldOut);
            System.setErr(oldErr);
            synchronized (lock) {
                oldOut.flush();
                err.print(ProgressLine.terminal(text, columns) + "\n");
                err.flush();
                drawn = false;
            }
        } else {
            err.print(ProgressLine.plain(LocalTime.now(), text));
            err.flush();
        }
    }
}
