package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrainingLog}: lines per step, cut back exactly to the state a run restores. */
class TrainingLogTest {

    /** An entry of {@code step} after {@code skippedSteps} skips, with recognizable values. */
    static TrainingLogEntry entry(long step, boolean skipped, long skippedSteps) {
        Map<String, Float> losses = new LinkedHashMap<>();
        losses.put("ventral_rgb", skipped ? Float.NaN : 1f / (step + 1));
        losses.put("dorsal_motion", 2f / (step + 1));
        return new TrainingLogEntry(
                step,
                Instant.ofEpochMilli(1_700_000_000_000L + 1000 * step),
                4 * step,
                losses,
                skipped ? Float.NaN : 3f / (step + 1),
                1e-4 * step,
                skipped ? Float.NaN : 0.5f,
                800 + step,
                20,
                1234,
                skipped,
                skippedSteps);
    }

    private static void write(Path dir, long fromStep, long toStep, int every) throws Exception {
        try (TrainingLog log = TrainingLog.open(dir, fromStep, 0, every)) {
            for (long s = fromStep + 1; s <= toStep; s++) {
                if (log.wants(s, false)) {
                    log.append(entry(s, false, 0));
                }
            }
        }
    }

    private static List<Long> steps(Path dir) throws Exception {
        return TrainingLog.read(dir.resolve(TrainingLog.FILE)).stream()
                .map(TrainingLogEntry::step)
                .toList();
    }

    @Test
    void writesOneLinePerStepThatReadsBackEqual(@TempDir Path dir) throws Exception {
        write(dir, 0, 5, 1);
        List<String> lines = Files.readAllLines(dir.resolve(TrainingLog.FILE));
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0))
                .startsWith("{\"step\":1,\"time\":\"2023-11-14T22:13:21Z\",\"samples_seen\":4,")
                .contains("\"total\":1.5,\"losses\":{\"ventral_rgb\":0.5,\"dorsal_motion\":1.0}")
                .contains("\"step_ms\":801,\"data_wait_ms\":20,\"device_memory_mb\":1234")
                .endsWith("\"skipped\":false,\"skipped_steps\":0}");
        assertThat(TrainingLog.read(dir.resolve(TrainingLog.FILE)))
                .containsExactly(
                        entry(1, false, 0),
                        entry(2, false, 0),
                        entry(3, false, 0),
                        entry(4, false, 0),
                        entry(5, false, 0));
    }

    @Test
    void aSkippedStepIsAlwaysLoggedWithNullsForItsNonFiniteValues(@TempDir Path dir)
            throws Exception {
        try (TrainingLog log = TrainingLog.open(dir, 0, 0, 10)) {
            assertThat(log.wants(3, false)).isFalse();
            assertThat(log.wants(10, false)).isTrue();
            assertThat(log.wants(3, true)).isTrue();
            log.append(entry(3, true, 1));
        }
        String line = Files.readString(dir.resolve(TrainingLog.FILE));
        assertThat(line).contains("\"total\":null").contains("\"grad_norm\":null");
        TrainingLogEntry back = TrainingLog.read(dir.resolve(TrainingLog.FILE)).get(0);
        assertThat(back.skipped()).isTrue();
        assertThat(back.total()).isNaN();
        assertThat(back.losses().get("ventral_rgb")).isNaN();
    }

    @Test
    void everyNthStepWithLogEvery(@TempDir Path dir) throws Exception {
        write(dir, 0, 25, 10);
        assertThat(steps(dir)).containsExactly(10L, 20L);
        assertThatThrownBy(() -> TrainingLog.open(dir, 0, 0, 0))
                .hasMessageContaining("train.log-every");
    }

    @Test
    void aRestoreToStepKDropsTheLinesOfTheAbandonedAttemptAndContinuesAtK(@TempDir Path dir)
            throws Exception {
        write(dir, 0, 9, 1); // an attempt that trained to 9, then failed
        write(dir, 6, 8, 1); // restored from the checkpoint at 6, trains 7 and 8
        assertThat(steps(dir)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        write(dir, 0, 2, 1); // a fresh start: a new history
        assertThat(steps(dir)).containsExactly(1L, 2L);
    }

    @Test
    void skippedStepsAfterTheRestoredStateAreDroppedThoseBeforeItKept(@TempDir Path dir)
            throws Exception {
        try (TrainingLog log = TrainingLog.open(dir, 0, 0, 1)) {
            log.append(entry(1, false, 0));
            log.append(entry(1, true, 1)); // skipped before the checkpoint (step 1, 1 skipped)
            log.append(entry(2, false, 1));
            log.append(entry(2, true, 2)); // skipped after it
        }
        try (TrainingLog log = TrainingLog.open(dir, 2, 1, 1)) {
            log.append(entry(3, false, 1));
        }
        List<TrainingLogEntry> back = TrainingLog.read(dir.resolve(TrainingLog.FILE));
        assertThat(back)
                .containsExactly(
                        entry(1, false, 0),
                        entry(1, true, 1),
                        entry(2, false, 1),
                        entry(3, false, 1));
    }

    @Test
    void aLineTornByACrashIsSkippedWhenReadAndCutOffWhenReopened(@TempDir Path dir)
            throws Exception {
        write(dir, 0, 3, 1);
        Path file = dir.resolve(TrainingLog.FILE);
        String torn = entry(4, false, 0).toJson().toString();
        Files.writeString(
                file,
                torn.substring(0, torn.length() / 2),
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        assertThat(steps(dir)).containsExactly(1L, 2L, 3L);
        long complete = Files.size(file) - torn.length() / 2;

        // The job restarts from its checkpoint at step 3: the torn half line goes, the next
        // line starts on a line of its own.
        try (TrainingLog log = TrainingLog.open(dir, 3, 0, 1)) {
            assertThat(Files.size(file)).isEqualTo(complete);
            log.append(entry(4, false, 0));
        }
        assertThat(steps(dir)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(Files.readAllLines(file)).hasSize(4);
    }

    @Test
    void aMissingLogReadsAsEmpty(@TempDir Path dir) throws Exception {
        assertThat(TrainingLog.read(dir.resolve(TrainingLog.FILE))).isEmpty();
    }
}
