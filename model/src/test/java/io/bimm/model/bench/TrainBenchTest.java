package io.bimm.model.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bimm.model.train.Libtorch;
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
                        "cpu",
                        "--precision",
                        "bf16");
        assertThat(code).isZero();
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines[0]).startsWith("libtorch ");
        assertThat(lines[1]).contains("parameters=10652064").contains("precision=bf16");
        // the documented fields first (scripts read them), then precision, MFU and device peak
        assertThat(lines[lines.length - 1])
                .matches(
                        "train clips_per_s=[0-9.]+ step_s=[0-9.]+ peak_rss_mb=[0-9]+"
                                + " precision=bf16 tflops=[0-9.]+ mfu=[0-9.]+"
                                + " peak_device_mb=[0-9]+");
        assertThat(lines[lines.length - 2]).contains("peak_source=measured-cpu-matmul");
    }

    @Test
    void rejectsUnknownOptions() {
        assertThat(TrainBench.run("--bogus", "1")).isEqualTo(2);
        assertThat(TrainBench.run("--preset", "huge")).isEqualTo(2);
        assertThat(TrainBench.run("--devices", "tpu")).isEqualTo(2);
        assertThat(TrainBench.run("--precision", "fp8")).isEqualTo(2);
    }

    @Test
    void refusesAGpuThatTheLoadedLibtorchCannotServe() {
        assumeTrue(!Libtorch.detect().isCuda(), "a CUDA libtorch is loaded");
        assertThat(TrainBench.run("--device", "gpu")).isEqualTo(2);
    }
}
