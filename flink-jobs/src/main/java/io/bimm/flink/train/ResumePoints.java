package io.bimm.flink.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where a run resumes: the newest complete Flink state a previous run left under the checkpoint
 * directory, a savepoint ({@code savepoints/savepoint-*}, written when a run ended cleanly) or a
 * retained checkpoint ({@code flink/<job-id>/chk-N}, the newest state of a run that crashed or was
 * cancelled). Complete means it has its {@code _metadata}, which Flink writes last; the newer is
 * the one whose {@code _metadata} was written last.
 */
public final class ResumePoints {

    /** Flink's marker of a complete checkpoint or savepoint, written last. */
    static final String METADATA = "_metadata";

    /** Subdirectory of the checkpoint directory holding savepoints. */
    static final String SAVEPOINTS = "savepoints";

    /** Subdirectory of the checkpoint directory holding Flink's periodic checkpoints. */
    static final String FLINK = "flink";

    private ResumePoints() {}

    /** The kind of Flink state a run resumes from. */
    public enum Kind {
        SAVEPOINT("savepoint"),
        CHECKPOINT("retained checkpoint");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** A complete savepoint or retained checkpoint, and when it completed (epoch ms). */
    public record ResumePoint(Path dir, Kind kind, long completedAt) {}

    /** The newest complete savepoint or retained checkpoint under {@code root}, if any. */
    public static Optional<ResumePoint> newest(Path root) {
        return all(root).stream().max(ORDER);
    }

    /** The newest complete savepoint under {@code root}, if any. */
    static Optional<ResumePoint> newest(Path root, Kind kind) {
        return all(root).stream().filter(p -> p.kind() == kind).max(ORDER);
    }

    /** Newer last; on equal times a savepoint wins (a clean end), then the higher name. */
    private static final Comparator<ResumePoint> ORDER =
            Comparator.comparingLong(ResumePoint::completedAt)
                    .thenComparing(p -> p.kind() == Kind.SAVEPOINT)
                    .thenComparing(p -> chkNumber(p.dir()));

    /** Every complete savepoint and retained checkpoint under {@code root}. */
    static List<ResumePoint> all(Path root) {
        List<ResumePoint> points = new ArrayList<>();
        for (Path sp : children(root.resolve(SAVEPOINTS))) {
            complete(sp, Kind.SAVEPOINT).ifPresent(points::add);
        }
        for (Path job : children(root.resolve(FLINK))) {
            for (Path chk : children(job)) {
                if (chkNumber(chk) >= 0) {
                    complete(chk, Kind.CHECKPOINT).ifPresent(points::add);
                }
            }
        }
        return points;
    }

    /** N of a {@code chk-N} directory, else -1. */
    static long chkNumber(Path dir) {
        String name = dir.getFileName().toString();
        if (!name.startsWith("chk-")) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(4));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** What {@code bimm train} prints about the choice. */
    static String describe(ResumePoint chosen, Path root) {
        StringBuilder sb =
                new StringBuilder("resuming from " + chosen.kind() + " " + chosen.dir().toUri());
        if (chosen.kind() == Kind.CHECKPOINT) {
            Optional<ResumePoint> sp = newest(root, Kind.SAVEPOINT);
            sb.append(
                    sp.map(p -> " (newer than the newest savepoint " + p.dir().getFileName())
                            .orElse(" (there is no savepoint"));
            sb.append(": the previous run did not end with a savepoint)");
        }
        return sb.toString();
    }

    private static Optional<ResumePoint> complete(Path dir, Kind kind) {
        try {
            Path meta = dir.resolve(METADATA);
            if (!Files.isRegularFile(meta)) {
                return Optional.empty();
            }
            return Optional.of(
                    new ResumePoint(dir, kind, Files.getLastModifiedTime(meta).toMillis()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
