package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.train.TrainingLogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The progress line's reader of a training log that is being written and cut back. */
class TrainingLogTailTest {

    private static String line(long step) {
        return new TrainingLogEntry(
                                step,
                                Instant.ofEpochSecond(step),
                                step,
                                Map.of("ventral_rgb", 1f),
                                1f,
                                1e-4,
                                1f,
                                10,
                                1,
                                -1,
                                false,
                                0)
                        .toJson()
                + "\n";
    }

    private static void append(Path f, String s) throws Exception {
        Files.writeString(f, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<Long> steps(TrainingLogTail tail) throws Exception {
        return tail.poll().stream().map(TrainingLogEntry::step).toList();
    }

    @Test
    void returnsCompleteLinesOnceAndFollowsACutBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("training-log.jsonl");
        TrainingLogTail tail = new TrainingLogTail(f);
        assertThat(steps(tail)).isEmpty(); // no file yet
        append(f, line(1) + line(2));
        assertThat(steps(tail)).containsExactly(1L, 2L);
        String three = line(3);
        append(f, three.substring(0, 20)); // being written
        assertThat(steps(tail)).isEmpty();
        append(f, three.substring(20) + line(4));
        assertThat(steps(tail)).containsExactly(3L, 4L);
        // A restore to step 1 cuts the file back; the run goes on from there.
        Files.writeString(f, line(1));
        append(f, line(2));
        assertThat(steps(tail)).containsExactly(1L, 2L);
    }

    @Test
    void startsNearTheEndOfALongHistory(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("training-log.jsonl");
        StringBuilder history = new StringBuilder();
        for (long s = 1; s <= 1000; s++) {
            history.append(line(s));
        }
        Files.writeString(f, history);
        List<Long> first = steps(new TrainingLogTail(f));
        assertThat(first).isNotEmpty().endsWith(1000L);
        assertThat(first.size()).isLessThan(200);
        assertThat(first.get(0)).isEqualTo(1000L - first.size() + 1); // whole lines only
    }
}
