package io.bimm.flink.train;

import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.checkpoint.InvalidCheckpointException;
import io.bimm.model.train.BimmTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the model checkpoint a restored Flink checkpoint points to and, when that one is truncated,
 * corrupted or changed, refuses it and falls back to the newest older checkpoint that verifies.
 *
 * <p>A fallback keeps the job alive but cannot be exact: the Kafka offsets Flink restored are past
 * the samples of the steps between the two checkpoints, and those samples are not in the model. The
 * log line says so, with the steps lost.
 *
 * <p>When nothing verifies, the failure is permanent or transient. Permanent: every candidate is
 * missing, truncated, fails its checksum, changed since the Flink checkpoint, or was written for
 * another model config; a restart would read the same bytes, so the job fails at once, without
 * restarts ({@link SuppressRestartsException}). Transient: some candidate could not be read for a
 * file-system error (a network file system's hiccup); that one is an {@link IOException} and the
 * job's bounded restart strategy retries it.
 */
final class CheckpointRestore {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointRestore.class);

    /** What was loaded. */
    record Restored(Path dir, boolean fellBack, long stepsLost) {}

    private CheckpointRestore() {}

    /**
     * Loads {@code preferred} into {@code trainer} if its manifest has SHA-256 {@code
     * expectedManifestSha} (null: any) and its files verify; else the newest good {@code step-N}
     * below it in the same directory.
     *
     * @throws SuppressRestartsException when nothing at or below {@code preferred}'s step verifies
     *     and no restart can change that
     * @throws IOException when nothing verifies but a file-system error may have been transient
     */
    static Restored load(BimmTrainer trainer, Path preferred, String expectedManifestSha)
            throws IOException {
        String problem;
        boolean transientError;
        try {
            verifyManifest(preferred, expectedManifestSha);
            Checkpoints.load(trainer, preferred);
            return new Restored(preferred, false, 0);
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage();
            transientError = isTransient(e);
        }
        long wanted = Checkpoints.stepOf(preferred);
        for (Path older : olderThan(preferred)) {
            try {
                Checkpoints.load(trainer, older);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Model checkpoint {} is unusable too: {}", older, e.getMessage());
                transientError |= isTransient(e);
                continue;
            }
            long lost = Math.max(0, wanted - trainer.getStep());
            LOG.error(
                    "Refused model checkpoint {}: {} Fell back to the previous good checkpoint {}"
                            + " (step {}); the samples of the {} steps after it are not in the"
                            + " model (their Kafka offsets are already consumed).",
                    preferred,
                    problem,
                    older,
                    trainer.getStep(),
                    lost);
            return new Restored(older, true, lost);
        }
        IOException failure =
                new IOException(
                        "Model checkpoint "
                                + preferred
                                + " is unusable ("
                                + problem
                                + ") and no older checkpoint beside it verifies.");
        if (transientError) {
            throw failure;
        }
        throw new SuppressRestartsException(failure);
    }

    /**
     * Whether reading again may succeed: an I/O error of the file system, not wrong content (a
     * checksum, a truncated manifest, a missing file, another model config).
     */
    static boolean isTransient(Exception e) {
        return e instanceof IOException
                && !(e instanceof InvalidCheckpointException)
                && !(e instanceof NoSuchFileException);
    }

    private static void verifyManifest(Path dir, String expected) throws IOException {
        if (expected == null) {
            return;
        }
        String actual = ModelCheckpoints.manifestSha256(dir);
        if (!expected.equals(actual)) {
            throw new InvalidCheckpointException(
                    "its manifest changed since the Flink checkpoint that points to it (SHA-256 "
                            + actual
                            + ", expected "
                            + expected
                            + ").");
        }
    }

    /** The {@code step-N} directories beside {@code dir} with a smaller step, newest first. */
    private static List<Path> olderThan(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().getParent();
        long step = Checkpoints.stepOf(dir);
        List<Path> older = new ArrayList<>();
        if (root == null || !Files.isDirectory(root)) {
            return older;
        }
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> Checkpoints.stepOf(p) >= 0)
                    .filter(p -> Checkpoints.stepOf(p) < step)
                    .sorted(Comparator.comparingLong(Checkpoints::stepOf).reversed())
                    .forEach(older::add);
        }
        return older;
    }
}
