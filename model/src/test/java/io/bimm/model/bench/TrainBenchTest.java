package io.bimm.model.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrainBenchTest {

    @Test
    void printsParameterCountAndTheSummaryAsLastLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code =
                TrainBench.run(
                        new PrintStream(buf, true, StandardCharsets.UTF_8),
                        "train",
                        "--preset",
                        "tiny",
                        "--batch",
                        "1",
                        "--steps",
                        "1",
                        "--warmup",
                        "0",
                        "--device",
                        "cpu");
        assertThat(code).isZero();
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines[0]).contains("parameters=10652064");
        assertThat(lines[lines.length - 1])
                .matches("train clips_per_s=[0-9.]+ step_s=[0-9.]+ peak_rss_mb=[0-9]+");
    }

    @Test
    void rejectsUnknownOptions() {
        assertThat(TrainBench.run("--bogus", "1")).isEqualTo(2);
        assertThat(TrainBench.run("--preset", "huge")).isEqualTo(2);
        assertThat(TrainBench.run("--devices", "tpu")).isEqualTo(2);
    }
}
