package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Videos;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchPrepCommandTest {
    @TempDir Path dir;

    @Test
    void lastLineIsTheThroughput() throws Exception {
        Files.copy(Videos.path("cup.mp4"), dir.resolve("cup.mp4"));
        StringWriter sw = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(sw));
        int code =
                cl.execute(
                        "prep",
                        "--videos",
                        dir.toString(),
                        "--size",
                        "32",
                        "--frames",
                        "4",
                        "--seconds",
                        "1",
                        "--warmup-seconds",
                        "0");
        assertThat(code).isZero();
        String[] lines = sw.toString().trim().split("\\R");
        assertThat(lines[lines.length - 1]).matches("prep clips_per_s_per_core=\\d+\\.\\d\\d");
        double rate = Double.parseDouble(lines[lines.length - 1].split("=")[1]);
        assertThat(rate).isPositive();
        assertThat(sw.toString())
                .contains("stage decode")
                .contains("stage targets")
                .contains("stage mask")
                .contains("dead_letters=0");
    }
}
