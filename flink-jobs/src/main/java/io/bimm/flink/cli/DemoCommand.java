package io.bimm.flink.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.train.ImageOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainingSink;
import io.bimm.model.Preset;
import io.bimm.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bimm demo}: everything on one machine. Starts the embedded Kafka broker and a Flink
 * MiniCluster with its web dashboard, ingests the sample videos and frame images of them ({@link
 * DemoImages}), and trains the {@code tiny} preset on them (joint stage, half of the ventral
 * samples images), feeding the clips again as new epochs (new crops and masks) while it trains.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run everything on this machine: an embedded Kafka broker (KRaft), a Flink MiniCluster"
                    + " with its web dashboard, ingest of the sample videos, and continuous"
                    + " training of the tiny preset on the CPU (or GPU).",
            "Without --steps it trains until Ctrl-C, then stops with a savepoint, leaving a"
                    + " usable checkpoint."
        })
public final class DemoCommand implements Callable<Integer> {

    /** Share of a joint batch's ventral samples that are images (docs/images.md). */
    static final double IMAGE_SHARE = 0.5;

    /** Frame images written and ingested at most. */
    static final int MAX_IMAGES = 64;

    @Option(
            names = "--steps",
            paramLabel = "N",
            defaultValue = "0",
            description = "Stop after N training steps (default: run until Ctrl-C).")
    long steps;

    @Option(
            names = "--videos",
            paramLabel = "DIR",
            description =
                    "Videos to ingest (default: ../shared/data/videos beside the repository).")
    Path videos;

    @Option(
            names = "--checkpoint-dir",
            paramLabel = "DIR",
            defaultValue = "bimm-data/demo-checkpoints",
            description = "Model checkpoints (default: ${DEFAULT-VALUE}).")
    Path checkpointDir;

    @Option(
            names = "--port",
            defaultValue = "8081",
            description = "Flink dashboard port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--batch-size",
            defaultValue = "4",
            description = "Samples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "10",
            description = "Model checkpoint every N steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(
            names = "--segment-seconds",
            defaultValue = "4",
            description = "Segment length for ingest (default: ${DEFAULT-VALUE}).")
    double segmentSeconds;

    @Mixin DashboardOptions dashboard = new DashboardOptions();

    @Mixin ProgressOptions progress = new ProgressOptions();

    @Override
    public Integer call() throws Exception {
        Path videoDir = videos != null ? videos : defaultVideos();
        if (!Files.exists(videoDir)) {
            throw new UserException("No videos at " + videoDir + "; pass --videos DIR.");
        }
        if (steps < 0 || batchSize <= 0) {
            throw new UserException("--steps must be >= 0 and --batch-size > 0.");
        }
        try (LocalTraining local = new LocalTraining()) {
            System.out.println("Kafka broker (KRaft) at " + local.bootstrapServers());
            IngestReport report = local.ingest(List.of(videoDir.toString()), segmentSeconds);
            System.out.println(report.summaryLine());
            if (report.clips() == 0) {
                throw new UserException("Nothing was ingested from " + videoDir + ".");
            }

            int images = demoImages(local);

            Configuration conf = new Configuration();
            conf.set(TrainJobOptions.PRESET, Preset.TINY);
            conf.set(TrainJobOptions.BATCH_SIZE, batchSize);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, checkpointDir.toString());
            conf.set(TrainJobOptions.CHECKPOINT_EVERY, checkpointEvery);
            conf.set(TrainJobOptions.MAX_STEPS, steps);
            conf.set(TrainJobOptions.WARMUP_STEPS, 10L);
            conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
            conf.set(TrainJobOptions.GROUP_ID, "bimm-demo");
            if (images > 0) {
                conf.set(ImageOptions.IMAGE_SHARE, IMAGE_SHARE);
            }
            dashboard.applyTo(conf);
            // A demo's broker is new each time: its savepoints would point at offsets of a broker
            // that is gone, so every demo starts fresh.
            LocalTraining.Result r = local.train(conf, port, progress);
            System.out.println(
                    "demo: trained "
                            + r.job().steps()
                            + " steps (batch "
                            + batchSize
                            + ") on "
                            + r.epochs()
                            + " epochs of "
                            + local.clips()
                            + " clips; latest checkpoint "
                            + (r.job().latestCheckpoint() == null
                                    ? "(none)"
                                    : r.job().latestCheckpoint()));
            if (images > 0) {
                printVentralSources();
            }
        }
        return 0;
    }

    /**
     * Writes frame images of the ingested clips ({@link DemoImages}) beside the checkpoint
     * directory and ingests them into the images topic: as many as the run's joint batches take at
     * {@value #IMAGE_SHARE} ({@value #MAX_IMAGES} without {@code --steps}, or at most); returns how
     * many were ingested.
     */
    private int demoImages(LocalTraining local) throws Exception {
        long perBatch = Math.round(IMAGE_SHARE * batchSize);
        long wanted = steps > 0 ? Math.min(MAX_IMAGES, steps * perBatch) : MAX_IMAGES;
        if (perBatch == 0) {
            return 0;
        }
        Path dir = checkpointDir.toAbsolutePath().resolveSibling("demo-images");
        List<Path> files = DemoImages.write(local.clipRecords(), dir, (int) wanted);
        if (files.isEmpty()) {
            return 0;
        }
        IngestReport report = local.ingestImages(files.stream().map(Path::toString).toList());
        System.out.println(
                "demo: ingested "
                        + report.clips()
                        + " images (frames of the clips, in "
                        + dir
                        + ") for the ventral branch, train.image-share "
                        + IMAGE_SHARE);
        return (int) report.clips();
    }

    /** What the ventral branch trained on, from the run's {@code progress.json}. */
    private void printVentralSources() throws IOException {
        Path progressFile = checkpointDir.resolve(TrainingSink.PROGRESS_FILE);
        if (!Files.exists(progressFile)) {
            return;
        }
        JsonObject topics =
                JsonParser.parseString(Files.readString(progressFile))
                        .getAsJsonObject()
                        .getAsJsonObject("topics");
        if (topics == null || !topics.has(Topics.IMAGES) || !topics.has(Topics.CLIPS)) {
            return;
        }
        long images = topics.getAsJsonObject(Topics.IMAGES).get("samples_trained").getAsLong();
        long clips = topics.getAsJsonObject(Topics.CLIPS).get("samples_trained").getAsLong();
        System.out.println(
                "demo: the ventral branch trained on "
                        + images
                        + " images and "
                        + Math.max(0, clips - images)
                        + " video frames, the dorsal branch on "
                        + clips
                        + " clips");
    }

    static Path defaultVideos() {
        String home = System.getProperty("bimm.home");
        Path root = home != null ? Paths.get(home) : Paths.get("").toAbsolutePath();
        return root.resolveSibling("shared").resolve("data").resolve("videos").normalize();
    }
}
