package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.dataset.MotionClass;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.ingest.TestVideos;
import io.bimm.flink.plot.LossCurvesChart;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.flink.train.TrainingLog;
import io.bimm.flink.train.TrainingLogEntry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm demo --steps} and {@code bimm eval} end to end, as a user runs them: each starts its
 * own Kafka broker (KRaft), ingests, re-feeds the clips as epochs and trains in a Flink MiniCluster
 * with its dashboard.
 */
class LocalRunsITCase {

    private static String freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }

    @Test
    void demoTrainsOnTheVideosAndLeavesItsLastCheckpoint(@TempDir Path tmp) throws Exception {
        Path videos = Files.createDirectories(tmp.resolve("videos"));
        Files.copy(TestVideos.file("box.mp4"), videos.resolve("box.mp4"));
        Path checkpoints = tmp.resolve("checkpoints");
        Run run =
                Cli.run(
                        "demo",
                        "--steps",
                        "4",
                        "--batch-size",
                        "2",
                        "--videos",
                        videos.toString(),
                        "--checkpoint-dir",
                        checkpoints.toString(),
                        "--port",
                        freePort());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("Kafka broker (KRaft) at ")
                .containsPattern(
                        "demo: trained 4 steps \\(batch 2\\) on \\d+ epochs of \\d+ clips; latest"
                                + " checkpoint .*step-000000000004");
        assertThat(checkpoints.resolve("step-000000000004").resolve("manifest.json"))
                .isRegularFile();
        // What a user watching the run finds: the log of every step, the curves with the final
        // checkpoint, and (stderr not a terminal) the progress line printed plain at the end.
        assertThat(TrainingLog.read(checkpoints.resolve(TrainingLog.FILE)))
                .extracting(TrainingLogEntry::step)
                .containsExactly(1L, 2L, 3L, 4L);
        assertThat(checkpoints.resolve("step-000000000004").resolve(LossCurvesChart.FILE))
                .isRegularFile();
        assertThat(run.err())
                .containsPattern(
                        "(?m)^\\d\\d:\\d\\d:\\d\\d step 4/4  .* samples/s  wait \\d+%  loss ")
                .doesNotContain("\r");
        assertThat(run.out()).doesNotContain("checkpoint step=");
        // Frame images of the clips feed the ventral branch: one image per joint batch of 2.
        assertThat(run.out())
                .contains("demo: ingested 4 images (frames of the clips")
                .contains("demo: the ventral branch trained on 4 images and 4 video frames");
        assertThat(tmp.resolve("demo-images").resolve("frame-003.jpg")).isRegularFile();
    }

    @Test
    void evalPretrainsProbesBothEncodersAndReportsTheLosses(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("motion");
        MotionDataset.generate(
                data, new MotionDataset.Settings(2, 1, 64, 64, 40, 1, MotionClass.KINDS));
        Path work = tmp.resolve("work");
        Run run =
                Cli.run(
                        "eval",
                        "--dataset",
                        data.toString(),
                        "--work",
                        work.toString(),
                        "--steps",
                        "4",
                        "--probe-epochs",
                        "1",
                        "--port",
                        freePort());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .containsPattern("pretrained 4 steps on \\d+ epochs of 10 clips")
                .containsPattern("target +pretrained +random +trivial +clip mean")
                .containsPattern(
                        "eval: linear probe val top1 pretrained=\\d\\.\\d{4} random=\\d\\.\\d{4}"
                                + " \\(chance 0\\.2000; 4 pretraining steps, batch 8, dorsal"
                                + " stage;");
        JsonObject json =
                JsonParser.parseString(Files.readString(work.resolve("eval.json")))
                        .getAsJsonObject();
        assertThat(json.get("pretrain_steps").getAsLong()).isEqualTo(4);
        assertThat(json.get("classes").getAsInt()).isEqualTo(5);
        for (String target : new String[] {"dorsal_gabor", "dorsal_contour", "dorsal_motion"}) {
            JsonObject row = json.getAsJsonObject("losses").getAsJsonObject(target);
            assertThat(row.get("pretrained").getAsDouble()).as(target).isPositive();
            assertThat(row.get("random").getAsDouble()).as(target).isPositive();
            assertThat(row.get("clip_mean").getAsDouble())
                    .as(target)
                    .isPositive()
                    .isLessThanOrEqualTo(row.get("trivial").getAsDouble());
        }
    }
}
