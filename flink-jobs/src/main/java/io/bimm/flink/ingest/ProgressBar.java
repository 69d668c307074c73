package io.bimm.flink.ingest;

import java.io.PrintStream;

/** A one-line progress bar on a terminal; silent when the output is not a terminal. */
public final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final int total;
    private final boolean enabled;
    private long lastDraw;

    ProgressBar(PrintStream out, int total, boolean enabled) {
        this.out = out;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    /** Whether the process runs on an interactive terminal. */
    public static boolean onTerminal() {
        return System.console() != null && System.getenv("CI") == null;
    }

    void update(int filesDone, int clips, long bytes, String current) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (filesDone < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) WIDTH * filesDone / total);
        String name =
                current.length() > 30 ? "..." + current.substring(current.length() - 27) : current;
        out.printf(
                "\r[%s%s] %d/%d files, %d clips, %.1f MB  %-30s",
                "#".repeat(filled),
                " ".repeat(WIDTH - filled),
                filesDone,
                total,
                clips,
                bytes / 1e6,
                name);
        out.flush();
    }

    void clear() {
        if (enabled) {
            out.print("\r" + " ".repeat(WIDTH + 80) + "\r");
            out.flush();
        }
    }
}
