package io.bimm.flink.cli;

import io.bimm.flink.ingest.ProgressBar;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the progress line needs to know about the terminal. */
final class Terminal {

    /** Width assumed when the terminal does not say. */
    static final int DEFAULT_COLUMNS = 120;

    private Terminal() {}

    /**
     * Whether stderr (file descriptor 2) is a terminal: its {@code /proc/self/fd/2} link names a
     * tty; where there is no {@code /proc}, whether the JVM has a console. Never under {@code CI}.
     */
    static boolean stderrIsTerminal() {
        if (System.getenv("CI") != null) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception | LinkageError e) {
            return ProgressBar.onTerminal();
        }
    }

    /** The terminal's width: {@code COLUMNS}, else {@code stty size}, else the default. */
    static int columns() {
        String env = System.getenv("COLUMNS");
        if (env != null) {
            try {
                return Math.max(20, Integer.parseInt(env.trim()));
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        try {
            Process p =
                    new ProcessBuilder("stty", "size")
                            .redirectInput(new File("/dev/tty"))
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
            try (BufferedReader r =
                    new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                if (p.waitFor(2, TimeUnit.SECONDS) && line != null) {
                    String[] rowsCols = line.trim().split("\\s+");
                    return Math.max(20, Integer.parseInt(rowsCols[1]));
                }
            } finally {
                p.destroy();
            }
        } catch (Exception e) {
            // no stty or no tty
        }
        return DEFAULT_COLUMNS;
    }
}
