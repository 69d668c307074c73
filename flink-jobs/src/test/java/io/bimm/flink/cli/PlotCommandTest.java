package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Cli;
import io.bimm.flink.train.TrainingLogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bimm plot}: exit codes and the picture of a run's log. */
class PlotCommandTest {

    @Test
    void plotsTheLogOfACheckpointDirectory(@TempDir Path dir) throws Exception {
        StringBuilder log = new StringBuilder();
        for (long s = 1; s <= 5; s++) {
            log.append(
                            new TrainingLogEntry(
                                            s,
                                            Instant.ofEpochSecond(s),
                                            2 * s,
                                            Map.of("ventral_rgb", 1f / s),
                                            1f / s,
                                            1e-4,
                                            1f,
                                            100,
                                            5,
                                            -1,
                                            false,
                                            0)
                                    .toJson())
                    .append('\n');
        }
        Files.writeString(dir.resolve("training-log.jsonl"), log);

        Cli.Run run = Cli.run("plot", "--checkpoint-dir", dir.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("plotted 5 log lines (steps 1-5) to ");
        assertThat(ImageIO.read(dir.resolve("loss-curves.png").toFile())).isNotNull();

        Path out = dir.resolve("elsewhere.png");
        assertThat(
                        Cli.run("plot", "--checkpoint-dir", dir.toString(), "--out", out.toString())
                                .exit())
                .isZero();
        assertThat(out).isRegularFile();
    }

    @Test
    void aDirectoryWithoutALogExits1AndAMissingOption2(@TempDir Path dir) {
        Cli.Run none = Cli.run("plot", "--checkpoint-dir", dir.toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("No training-log.jsonl in " + dir);
        Cli.Run usage = Cli.run("plot");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("--checkpoint-dir");
        assertThat(Cli.run("plot", "--help").out()).contains("--out");
    }
}
