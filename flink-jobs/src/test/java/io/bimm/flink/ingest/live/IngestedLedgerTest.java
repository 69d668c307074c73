package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestedLedgerTest {

    private static String hash(int i) {
        return String.format("%064x", i);
    }

    @Test
    void remembersContentAcrossALoadAndIgnoresDamagedLines(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a.mp4"), "x");
        IngestedLedger l = IngestedLedger.load(dir);
        l.add(hash(1), file, 1, 42);
        Files.writeString(
                dir.resolve(IngestedLedger.FILE_NAME),
                "garbage line\n" + "z".repeat(StateFiles.MAX_LINE + 1) + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        IngestedLedger again = IngestedLedger.load(dir);
        assertThat(again.contains(hash(1))).isTrue();
        assertThat(again.contains(hash(2))).isFalse();
        assertThat(again.unchanged(file, 1, 42)).isTrue();
        assertThat(again.unchanged(file, 2, 42)).isFalse();
        assertThat(again.size()).isEqualTo(1);
    }

    @Test
    void staysBoundedAndKeepsTheFilesStillPresent(@TempDir Path dir) throws Exception {
        Path present = Files.writeString(dir.resolve("present.mp4"), "abc");
        long mtime = Files.getLastModifiedTime(present).toMillis();
        IngestedLedger l = IngestedLedger.load(dir, 10);
        l.add(hash(0), present, 3, mtime);
        for (int i = 1; i <= 30; i++) {
            l.add(hash(i), dir.resolve("gone" + i + ".mp4"), 1, 1);
        }
        assertThat(l.size()).isLessThanOrEqualTo(10);
        IngestedLedger reloaded = IngestedLedger.load(dir, 10);
        assertThat(reloaded.contains(hash(0))).isTrue();
        assertThat(reloaded.contains(hash(30))).isTrue();
        assertThat(reloaded.contains(hash(1))).isFalse();
        assertThat(Files.readAllLines(dir.resolve(IngestedLedger.FILE_NAME)).size())
                .isLessThanOrEqualTo(11);
    }
}
