package io.bimm.flink.ingest.live;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bimm ingest --follow}: follows live sources ({@link LiveFollower}, one thread each) and
 * folders ({@link FolderWatcher}) until {@link #stop()} (Ctrl-C) or {@code --stop-after}, drawing a
 * status line meanwhile; then completes the segments under way, waits until Kafka has them, and
 * returns the run's report, whose summary line is the one of file ingest. In it a live source
 * counts as one file: ingested when it gave a clip, rejected when it gave none.
 */
public final class LiveIngest {

    /** How long stopping waits for a source's thread, beyond its read timeout. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final List<LiveSource> sources;
    private final List<String> folders;
    private final Ingestor.Settings settings;
    private final FollowSettings follow;
    private final PrintStream err;
    private final boolean terminal;
    private final FollowStop stop = new FollowStop();

    /**
     * @param sources live URLs the operator named
     * @param folders directories to watch
     * @param settings the file ingest settings (topics, limits, producer properties)
     * @param follow how to follow
     * @param err where the status line and problems go
     * @param terminal whether {@code err} is a terminal (the status line is redrawn in place)
     */
    public LiveIngest(
            List<LiveSource> sources,
            List<String> folders,
            Ingestor.Settings settings,
            FollowSettings follow,
            PrintStream err,
            boolean terminal) {
        this.sources = List.copyOf(sources);
        this.folders = List.copyOf(folders);
        this.settings = settings;
        this.follow = follow;
        this.err = err;
        this.terminal = terminal;
    }

    /** Stops following, as Ctrl-C does: {@link #run} completes the current segments and returns. */
    public void stop() {
        stop.stop();
    }

    /**
     * Follows until stopped.
     *
     * @param ingestor the file ingestor (topics already ensured), for the folders' files
     */
    public IngestReport run(Ingestor ingestor) throws IOException {
        Files.createDirectories(follow.stateDir());
        IngestedLedger ledger = IngestedLedger.load(follow.stateDir());
        SourcePositions positions = SourcePositions.load(follow.stateDir());
        FollowStatus status = new FollowStatus(sources.size(), folders.size());
        List<Thread> threads = new ArrayList<>();
        try (ClipProducer producer =
                sources.isEmpty() ? null : new ClipProducer(settings, status, positions, err)) {
            for (LiveSource source : sources) {
                LiveFollower f =
                        new LiveFollower(
                                source, settings, follow, producer, positions, status, stop, err);
                threads.add(start(f, "follow " + source.display()));
            }
            if (!folders.isEmpty()) {
                FolderWatcher w =
                        new FolderWatcher(
                                folders,
                                follow,
                                settings.maxFileBytes(),
                                ingestor,
                                ledger,
                                status,
                                stop,
                                err);
                threads.add(start(w, "follow folders"));
            }
            drawStatusUntilStopped(status);
            joinAll(threads);
            if (producer != null) {
                producer.flush();
            }
        }
        if (terminal) {
            err.print("\r\033[K");
        }
        err.println(status.line());
        long liveIngested = status.sourcesWithClips();
        return new IngestReport(
                (int) status.clips(),
                (int) (status.filesIngested() + liveIngested),
                (int) (status.filesRejected() + sources.size() - liveIngested),
                List.of(),
                status.bytes());
    }

    private static Thread start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void drawStatusUntilStopped(FollowStatus status) {
        long end =
                follow.stopAfter() == null
                        ? Long.MAX_VALUE
                        : System.nanoTime() + follow.stopAfter().toNanos();
        Duration every = terminal ? Duration.ofSeconds(1) : follow.statusEvery();
        while (true) {
            long left = end - System.nanoTime();
            Duration wait = left < every.toNanos() ? Duration.ofNanos(Math.max(0, left)) : every;
            if (stop.sleep(wait)) {
                return;
            }
            if (end - System.nanoTime() <= 0) {
                stop.stop();
                return;
            }
            if (terminal) {
                err.print("\r\033[K" + status.line());
                err.flush();
            } else {
                err.println(status.line());
            }
        }
    }

    private void joinAll(List<Thread> threads) {
        long deadline = System.nanoTime() + follow.readTimeout().plus(STOP_GRACE).toNanos();
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                err.println("bimm: " + t.getName() + " did not stop in time; not waiting for it.");
            }
        }
    }
}
