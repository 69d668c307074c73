package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.train.ResumePoints.Kind;
import io.bimm.flink.train.ResumePoints.ResumePoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resume point is the newest complete savepoint or retained Flink checkpoint. */
class ResumePointsTest {

    @TempDir Path root;

    private static final long T0 = 1_700_000_000_000L;

    /** A complete Flink state directory: its {@code _metadata} written at {@code millis}. */
    private Path complete(String relative, long millis) throws IOException {
        Path dir = Files.createDirectories(root.resolve(relative));
        Path meta = Files.writeString(dir.resolve(ResumePoints.METADATA), "x");
        Files.setLastModifiedTime(meta, FileTime.fromMillis(millis));
        return dir;
    }

    @Test
    void nothingToResumeFrom() throws IOException {
        assertThat(ResumePoints.newest(root)).isEmpty();
        // Directories without _metadata are checkpoints in progress or aborted, not resume points.
        Files.createDirectories(root.resolve("flink/job-a/chk-3"));
        Files.createDirectories(root.resolve("savepoints/savepoint-a-1"));
        assertThat(ResumePoints.newest(root)).isEmpty();
    }

    /** A run killed after its last savepoint: its retained checkpoint is newer and wins. */
    @Test
    void aRetainedCheckpointNewerThanTheSavepointWins() throws IOException {
        complete("savepoints/savepoint-aaaaaa-1", T0);
        complete("flink/job-a/chk-2", T0 - 60_000); // the run before the savepoint
        complete("flink/job-b/chk-4", T0 + 30_000);
        Path newest = complete("flink/job-b/chk-5", T0 + 60_000);
        Files.createDirectories(root.resolve("flink/job-b/chk-6")); // in progress at the kill
        Files.createDirectories(root.resolve("flink/job-b/shared"));
        Files.createDirectories(root.resolve("flink/job-b/taskowned"));

        ResumePoint p = ResumePoints.newest(root).orElseThrow();
        assertThat(p.dir()).isEqualTo(newest);
        assertThat(p.kind()).isEqualTo(Kind.CHECKPOINT);
        assertThat(ResumePoints.describe(p, root))
                .contains("retained checkpoint")
                .contains("chk-5")
                .contains("newer than the newest savepoint savepoint-aaaaaa-1");
    }

    /** A run that ended with a savepoint: the savepoint is newer than its retained checkpoints. */
    @Test
    void aSavepointNewerThanTheCheckpointsWins() throws IOException {
        complete("flink/job-a/chk-7", T0);
        complete("savepoints/savepoint-aaaaaa-1", T0 - 120_000);
        Path sp = complete("savepoints/savepoint-aaaaaa-2", T0 + 1_000);

        ResumePoint p = ResumePoints.newest(root).orElseThrow();
        assertThat(p.dir()).isEqualTo(sp);
        assertThat(p.kind()).isEqualTo(Kind.SAVEPOINT);
        assertThat(ResumePoints.describe(p, root)).startsWith("resuming from savepoint file:");
    }

    @Test
    void onEqualTimesTheSavepointWinsThenTheHigherCheckpoint() throws IOException {
        complete("flink/job-a/chk-9", T0);
        complete("flink/job-a/chk-10", T0);
        assertThat(ResumePoints.newest(root).orElseThrow().dir().getFileName().toString())
                .isEqualTo("chk-10");
        Path sp = complete("savepoints/savepoint-aaaaaa-3", T0);
        assertThat(ResumePoints.newest(root).orElseThrow().dir()).isEqualTo(sp);
    }

    @Test
    void onlyRetainedCheckpointsSaySoWhenResuming() throws IOException {
        complete("flink/job-a/chk-1", T0);
        ResumePoint p = ResumePoints.newest(root).orElseThrow();
        assertThat(ResumePoints.describe(p, root)).contains("there is no savepoint");
        Configuration options = new Configuration();
        options.set(TrainJobOptions.CHECKPOINT_DIR, root.toString());
        assertThat(TrainRunner.flinkConfig(options, false).get(StateRecoveryOptions.SAVEPOINT_PATH))
                .isEqualTo(p.dir().toUri().toString());
        assertThat(TrainRunner.flinkConfig(options, true).get(StateRecoveryOptions.SAVEPOINT_PATH))
                .isNull();
    }
}
