package io.bimm.flink.cli;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Preset;
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
 * MiniCluster with its web dashboard, ingests the sample videos, and trains the {@code tiny} preset
 * on them, feeding the clips again as new epochs (new crops and masks) while it trains.
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

            Configuration conf = new Configuration();
            conf.set(TrainJobOptions.PRESET, Preset.TINY);
            conf.set(TrainJobOptions.BATCH_SIZE, batchSize);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, checkpointDir.toString());
            conf.set(TrainJobOptions.CHECKPOINT_EVERY, checkpointEvery);
            conf.set(TrainJobOptions.MAX_STEPS, steps);
            conf.set(TrainJobOptions.WARMUP_STEPS, 10L);
            conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
            conf.set(TrainJobOptions.GROUP_ID, "bimm-demo");
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
        }
        return 0;
    }

    static Path defaultVideos() {
        String home = System.getProperty("bimm.home");
        Path root = home != null ? Paths.get(home) : Paths.get("").toAbsolutePath();
        return root.resolveSibling("shared").resolve("data").resolve("videos").normalize();
    }
}
