package io.bimm.flink.cli;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.live.FollowSettings;
import io.bimm.flink.ingest.live.LiveIngest;
import io.bimm.flink.ingest.live.LiveSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The {@code --follow} options of {@code bimm ingest} (a mixin): live URLs and folders to follow,
 * and how; runs {@link LiveIngest} until Ctrl-C, which stops it cleanly (the current segments are
 * completed and sent, and the summary line printed).
 */
public final class FollowOptions {

    @Option(
            names = "--follow",
            arity = "1..*",
            paramLabel = "SOURCE",
            description =
                    "Follow until Ctrl-C: a live URL (rtsp, rtsps, rtmp, rtmps, srt, udp, rtp, tcp,"
                            + " http, https/HLS), a growing file (file:PATH, or its path), or a"
                            + " directory to watch (recursive; each new file ingested once it is"
                            + " complete). Repeatable.")
    List<String> follow = new ArrayList<>();

    @Option(
            names = "--state-dir",
            defaultValue = ".bimm-follow",
            paramLabel = "DIR",
            description =
                    "Where --follow remembers what it ingested (by content hash) and where each"
                            + " live source stood, across restarts (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
            names = "--settle-seconds",
            defaultValue = "5",
            description =
                    "A followed folder's file is complete once its size and time stayed the"
                            + " same this long (default: ${DEFAULT-VALUE}).")
    double settleSeconds;

    @Option(
            names = "--read-timeout-seconds",
            defaultValue = "10",
            description =
                    "A live source silent this long is reconnected (default: ${DEFAULT-VALUE}).")
    double readTimeoutSeconds;

    @Option(
            names = "--reconnect-max-seconds",
            defaultValue = "30",
            description =
                    "Longest wait between reconnects; waits start at 0.5 s and double (default:"
                            + " ${DEFAULT-VALUE}).")
    double reconnectMaxSeconds;

    @Option(
            names = "--status-seconds",
            defaultValue = "10",
            description =
                    "How often the status line is printed when stderr is not a terminal (on a"
                            + " terminal it is redrawn every second) (default: ${DEFAULT-VALUE}).")
    double statusSeconds;

    @Option(
            names = "--stop-after-seconds",
            paramLabel = "SECONDS",
            description = "Stop following after this long, as Ctrl-C does (default: never).")
    Double stopAfterSeconds;

    /** Live sources and folders, sorted out of the {@code --follow} arguments. */
    record Sources(List<LiveSource> live, List<String> folders) {}

    boolean following() {
        return !follow.isEmpty();
    }

    /**
     * The live sources and folders named.
     *
     * @throws UserException for a URL bimm does not follow, or a path that is neither a directory
     *     nor a file
     */
    Sources sources(boolean images) {
        List<LiveSource> live = new ArrayList<>();
        List<String> folders = new ArrayList<>();
        for (String arg : follow) {
            if (LiveSource.isUrl(arg)) {
                try {
                    live.add(LiveSource.of(arg));
                } catch (IllegalArgumentException e) {
                    throw new UserException("--follow " + arg + ": " + e.getMessage() + ".", e);
                }
            } else if (Files.isDirectory(Path.of(arg))) {
                folders.add(arg);
            } else if (Files.isRegularFile(Path.of(arg))) {
                // The operator named it: a growing recording, read through FFmpeg's file protocol.
                live.add(LiveSource.of("file:" + Path.of(arg).toAbsolutePath().normalize()));
            } else {
                throw new UserException(
                        "--follow "
                                + arg
                                + ": not a directory, a file, or a URL (rtsp://, srt://, udp://,"
                                + " http://, file:, ...).");
            }
        }
        if (images && !live.isEmpty()) {
            throw new UserException("--images follows folders only, not live video sources.");
        }
        positive(readTimeoutSeconds, "--read-timeout-seconds");
        positive(statusSeconds, "--status-seconds");
        if (!(reconnectMaxSeconds >= 0.5)) {
            throw new UserException("--reconnect-max-seconds must be at least 0.5.");
        }
        if (!(settleSeconds >= 0)) {
            throw new UserException("--settle-seconds cannot be negative.");
        }
        if (stopAfterSeconds != null) {
            positive(stopAfterSeconds, "--stop-after-seconds");
        }
        return new Sources(live, folders);
    }

    private static void positive(double v, String flag) {
        if (!(v > 0)) {
            throw new UserException(flag + " must be positive, not " + v + ".");
        }
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }

    /**
     * Follows until Ctrl-C (or {@code --stop-after-seconds}) and prints the summary line of {@code
     * files} (ingested before) and the run together. The JVM's shutdown hook stops the run and
     * waits until the current segments are sent and the summary is printed.
     */
    IngestReport run(
            Sources sources,
            Ingestor.Settings settings,
            Ingestor ingestor,
            boolean terminal,
            IngestReport files)
            throws IOException {
        FollowSettings fs =
                new FollowSettings(
                        seconds(readTimeoutSeconds),
                        seconds(reconnectMaxSeconds),
                        seconds(settleSeconds),
                        stateDir,
                        seconds(statusSeconds),
                        stopAfterSeconds == null ? null : seconds(stopAfterSeconds));
        LiveIngest live =
                new LiveIngest(
                        sources.live(), sources.folders(), settings, fs, System.err, terminal);
        CountDownLatch summarized = new CountDownLatch(1);
        Thread hook =
                new Thread(
                        () -> {
                            live.stop();
                            try {
                                summarized.await(60, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "bimm-ingest-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            IngestReport report = sum(files, live.run(ingestor));
            System.out.println(report.summaryLine());
            System.out.flush();
            return report;
        } finally {
            summarized.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook has stopped the run and now returns.
            }
        }
    }

    /** The report of files ingested first and of the follow run after them. */
    static IngestReport sum(IngestReport files, IngestReport live) {
        List<IngestReport.Rejection> rejections = new ArrayList<>(files.rejections());
        rejections.addAll(live.rejections());
        return new IngestReport(
                files.clips() + live.clips(),
                files.filesIngested() + live.filesIngested(),
                files.filesRejected() + live.filesRejected(),
                List.copyOf(rejections),
                files.bytes() + live.bytes());
    }
}
