package io.bimm.flink.ingest.live;

import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.ingest.InputFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Watches directories (recursively, by polling: it works on every file system, network mounts
 * included) and ingests each new file once it is complete: when its size and modification time have
 * not changed for the settle time. Files go through the file path of {@code bimm ingest} ({@link
 * InputFiles}, {@link InputFile}, {@link Ingestor}), with its rules: no protocol, allowed
 * containers only, the same limits and dead letters; a playlist found here is a file like any other
 * (refused), never a live source. The {@link IngestedLedger} keeps each content from being ingested
 * twice, across restarts. Hidden files (a writer's {@code .name.part}) are not looked at.
 */
final class FolderWatcher implements Runnable {

    /** A file's size and time when last seen, and since when they have not changed. */
    private record Seen(long size, long mtimeMillis, long sinceNanos) {}

    private final List<String> dirs;
    private final FollowSettings follow;
    private final long maxFileBytes;
    private final Ingestor ingestor;
    private final IngestedLedger ledger;
    private final FollowStatus status;
    private final FollowStop stop;
    private final PrintStream err;
    private final Map<Path, Seen> pending = new HashMap<>();
    private final Map<Path, Seen> done = new HashMap<>();
    private String lastProblem;

    FolderWatcher(
            List<String> dirs,
            FollowSettings follow,
            long maxFileBytes,
            Ingestor ingestor,
            IngestedLedger ledger,
            FollowStatus status,
            FollowStop stop,
            PrintStream err) {
        this.dirs = dirs;
        this.follow = follow;
        this.maxFileBytes = maxFileBytes;
        this.ingestor = ingestor;
        this.ledger = ledger;
        this.status = status;
        this.stop = stop;
        this.err = err;
    }

    /** How often the folders are listed: often enough for the settle time. */
    private Duration pollEvery() {
        long settle = follow.settle().toMillis();
        return Duration.ofMillis(Math.max(100, Math.min(1000, settle / 2)));
    }

    @Override
    public void run() {
        while (!stop.stopped()) {
            try {
                scan();
                lastProblem = null;
            } catch (IOException | RuntimeException e) {
                String problem = e.getMessage();
                if (problem != null && !problem.equals(lastProblem)) {
                    err.println("bimm: cannot list " + String.join(", ", dirs) + ": " + problem);
                    lastProblem = problem;
                }
            }
            if (stop.sleep(pollEvery())) {
                break;
            }
        }
    }

    /** Lists the folders once and ingests every file that has settled. */
    void scan() throws IOException {
        long now = System.nanoTime();
        List<InputFile> files = InputFiles.expand(dirs);
        // Forget files that are gone: the maps hold only what the folders hold.
        java.util.Set<Path> listed = new java.util.HashSet<>(InputFiles.paths(files));
        pending.keySet().retainAll(listed);
        done.keySet().retainAll(listed);
        for (InputFile f : files) {
            if (stop.stopped()) {
                return;
            }
            Path path = f.path();
            BasicFileAttributes a = attributes(path);
            if (a == null) {
                pending.remove(path);
                continue;
            }
            long mtime = a.lastModifiedTime().toMillis();
            Seen was = done.get(path);
            if (was != null && was.size() == a.size() && was.mtimeMillis() == mtime) {
                continue;
            }
            Seen seen = pending.get(path);
            if (seen == null || seen.size() != a.size() || seen.mtimeMillis() != mtime) {
                pending.put(path, new Seen(a.size(), mtime, now));
                continue;
            }
            if (now - seen.sinceNanos() < follow.settle().toNanos()) {
                continue;
            }
            pending.remove(path);
            done.put(path, seen);
            take(f, a.size(), mtime);
        }
    }

    /** A settled file: ingested unless its content was already. */
    private void take(InputFile f, long size, long mtime) throws IOException {
        Path path = f.path();
        if (ledger.unchanged(path, size, mtime)) {
            return;
        }
        String sha256;
        try {
            sha256 = sha256(f.read(maxFileBytes, "--max-file-bytes").bytes());
        } catch (IngestException e) {
            // Not readable as a file (a FIFO, a link out of the tree, too large, gone): the file
            // path reports and dead-letters it, once per run, by name.
            ingest(f);
            return;
        }
        if (!ledger.contains(sha256)) {
            ingest(f);
        }
        ledger.add(sha256, path, size, mtime);
    }

    private void ingest(InputFile f) throws IOException {
        IngestReport report = ingestor.ingest(List.of(f), err, false);
        status.fileDone(report.clips(), report.bytes());
    }

    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
