package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.model.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainRunnerTest {

    @TempDir Path root;

    private Path checkpoint(long step, long writtenAtMillis) throws Exception {
        Path dir = Files.createDirectories(root.resolve(String.format("step-%012d", step)));
        Path manifest = Files.writeString(dir.resolve(Checkpoints.MANIFEST), "{}");
        Files.setLastModifiedTime(manifest, FileTime.fromMillis(writtenAtMillis));
        return dir;
    }

    /** An older run's higher steps in the same directory are not this run's latest checkpoint. */
    @Test
    void latestSinceIgnoresCheckpointsOfEarlierRuns() throws Exception {
        long start = 1_000_000_000L;
        checkpoint(30, start - 60_000);
        checkpoint(2, start + 1_000);
        Path six = checkpoint(6, start + 5_000);
        Files.createDirectories(root.resolve("step-000000000007")); // unfinished: no manifest
        assertThat(TrainRunner.latestSince(root, start)).isEqualTo(six);
        assertThat(Checkpoints.latest(root).getFileName().toString()).endsWith("30");
        assertThat(TrainRunner.latestSince(root, start + 10_000)).isNull();
        assertThat(TrainRunner.latestSince(root.resolve("missing"), start)).isNull();
    }
}
