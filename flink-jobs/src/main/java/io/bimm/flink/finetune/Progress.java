package io.bimm.flink.finetune;

import io.bimm.flink.ingest.ProgressBar;
import java.io.PrintStream;

/** A one-line progress bar on stderr, drawn only on an interactive terminal. */
public final class Progress {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean enabled;
    private long lastDraw;

    public Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    /** A bar on {@code System.err} when it is a terminal (see {@link ProgressBar#onTerminal}). */
    public static Progress onTerminal() {
        return new Progress(System.err, ProgressBar.onTerminal());
    }

    /** Draws {@code done/total} with a label, at most ten times a second. */
    public void update(int done, int total, String label) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) WIDTH * done / Math.max(1, total));
        out.printf(
                "\r[%s%s] %d/%d %-40s",
                "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, label);
        out.flush();
    }

    /** Erases the bar. */
    public void clear() {
        if (enabled) {
            out.print("\r" + " ".repeat(WIDTH + 60) + "\r");
            out.flush();
        }
    }
}
