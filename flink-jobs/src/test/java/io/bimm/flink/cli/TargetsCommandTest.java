package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.SamplePipeline;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.HostileFiles;
import io.bimm.flink.testutil.Videos;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetsCommandTest {
    @TempDir Path out;

    private static byte[] payload(Path f) throws Exception {
        byte[] b = Files.readAllBytes(f);
        int len = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        return Arrays.copyOfRange(b, 10 + len, b.length);
    }

    private static String header(Path f) throws Exception {
        byte[] b = Files.readAllBytes(f);
        int len = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        return new String(b, 10, len, StandardCharsets.US_ASCII);
    }

    @Test
    void writesFramesTargetsAndMasks() throws Exception {
        Path video = Videos.path("cup.mp4");
        int code =
                TargetsCommand.run(
                        "--video",
                        video.toString(),
                        "--out",
                        out.toString(),
                        "--size",
                        "32",
                        "--frames",
                        "4",
                        "--stride",
                        "2",
                        "--deterministic",
                        "--seed",
                        "3",
                        "--png");
        assertThat(code).isZero();
        assertThat(header(out.resolve("frames.npy"))).contains("'shape': (4, 32, 32, 3,)");
        assertThat(header(out.resolve("prev.npy"))).contains("'shape': (4, 32, 32, 3,)");
        assertThat(header(out.resolve("gabor.npy")))
                .contains("'<f4'")
                .contains("'shape': (4, 4, 4, 8,)");
        assertThat(header(out.resolve("contour.npy"))).contains("'shape': (4, 32, 32,)");
        assertThat(header(out.resolve("motion.npy"))).contains("'shape': (4, 32, 32, 3,)");
        assertThat(header(out.resolve("ventral_mask.npy"))).contains("'shape': (4, )");
        assertThat(header(out.resolve("dorsal_mask.npy"))).contains("'shape': (8, )");
        assertThat(out.resolve("grid.png")).exists();

        byte[] frames = payload(out.resolve("frames.npy"));
        byte[] prev = payload(out.resolve("prev.npy"));
        byte[] motion = payload(out.resolve("motion.npy"));
        for (int i = 0; i < motion.length; i++) {
            assertThat(motion[i] & 0xFF).isEqualTo(Math.abs((frames[i] & 0xFF) - (prev[i] & 0xFF)));
        }
        // The same operator code on the same bytes gives the same frames.
        DecodeOptions o =
                DecodeOptions.builder()
                        .optSize(32)
                        .optFrames(4)
                        .optStride(2)
                        .optDeterministic(true)
                        .build();
        try (SamplePipeline p = new SamplePipeline(PrepOptions.of(o, 3))) {
            p.process(Files.readAllBytes(video), "cup.mp4", 0);
            assertThat(Arrays.copyOfRange(frames, 0, 32 * 32 * 3)).isEqualTo(p.lastClip().x()[0]);
            boolean[] dorsal = p.lastDorsalMask().toBooleans();
            byte[] written = payload(out.resolve("dorsal_mask.npy"));
            for (int i = 0; i < dorsal.length; i++) {
                assertThat(written[i]).isEqualTo((byte) (dorsal[i] ? 1 : 0));
            }
        }
        int masked = 0;
        for (byte b : payload(out.resolve("ventral_mask.npy"))) {
            masked += b;
        }
        assertThat(masked).isEqualTo(3);
    }

    @Test
    void badVideoFailsWithExitCodeOne() throws Exception {
        Path bad = out.resolve("bad.mp4");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        assertThat(TargetsCommand.run("--video", bad.toString(), "--out", out.toString()))
                .isEqualTo(1);
        assertThat(TargetsCommand.run("--out", out.toString())).isEqualTo(2);
    }

    @Test
    void aFifoOrDeviceIsRefusedAtOnceInsteadOfHanging() throws Exception {
        Path fifo = HostileFiles.fifo(out.resolve("pipe.mp4"));
        for (String video : new String[] {fifo.toString(), "/dev/zero"}) {
            Cli.Run run =
                    assertTimeoutPreemptively(
                            Duration.ofSeconds(60),
                            () -> Cli.run("targets", "--video", video, "--out", out.toString()));
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.err()).contains("Cannot use " + video + ": unreadable: it is a");
        }
    }

    @Test
    void theJobsLimitsApplyAndAreSetAsTheJobSetsThem() {
        String video = Videos.path("cup.mp4").toString();
        Cli.Run wide =
                Cli.run(
                        "targets",
                        "--video",
                        video,
                        "--out",
                        out.toString(),
                        "-D",
                        "prep.max-width=64",
                        "--size",
                        "32",
                        "--frames",
                        "2");
        assertThat(wide.exit()).isEqualTo(1);
        assertThat(wide.err()).contains("limit_exceeded").contains("64");
        Cli.Run small =
                Cli.run(
                        "targets",
                        "--video",
                        video,
                        "--out",
                        out.toString(),
                        "-D",
                        "prep.max-bytes=1kb");
        assertThat(small.exit()).isEqualTo(1);
        assertThat(small.err())
                .contains("over_size")
                .contains("1024-byte limit (-D prep.max-bytes)");
        Cli.Run notALimit =
                Cli.run("targets", "--video", video, "--out", out.toString(), "-D", "prep.seed=1");
        assertThat(notALimit.exit()).isEqualTo(2);
    }
}
