package io.bimm.flink.cli;

import io.bimm.flink.ingest.EpochFeeder;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainRunner;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
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

    @Override
    public Integer call() throws Exception {
        Path videoDir = videos != null ? videos : defaultVideos();
        if (!Files.exists(videoDir)) {
            throw new UserException("No videos at " + videoDir + "; pass --videos DIR.");
        }
        if (steps < 0 || batchSize <= 0) {
            throw new UserException("--steps must be >= 0 and --batch-size > 0.");
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(2);
            System.out.println("Kafka broker (KRaft) at " + kafka.bootstrapServers());

            List<VideoClip> clips = new ArrayList<>();
            IngestReport report;
            try (Ingestor ingestor = new Ingestor(ingestSettings(kafka.bootstrapServers()))) {
                ingestor.onClip(clips::add);
                report =
                        ingestor.ingest(
                                InputFiles.expand(List.of(videoDir.toString())), System.err, false);
            }
            System.out.println(report.summaryLine());
            if (report.clips() == 0) {
                throw new UserException("Nothing was ingested from " + videoDir + ".");
            }

            Configuration conf = new Configuration();
            conf.set(TrainJobOptions.BOOTSTRAP, kafka.bootstrapServers());
            conf.set(TrainJobOptions.PRESET, "tiny");
            conf.set(TrainJobOptions.BATCH_SIZE, batchSize);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, checkpointDir.toString());
            conf.set(TrainJobOptions.CHECKPOINT_EVERY, checkpointEvery);
            conf.set(TrainJobOptions.MAX_STEPS, steps);
            conf.set(TrainJobOptions.WARMUP_STEPS, 10L);
            conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
            conf.set(TrainJobOptions.GROUP_ID, "bimm-demo");
            try (EpochFeeder feeder =
                    new EpochFeeder(
                                    clips,
                                    kafka.bootstrapServers(),
                                    Topics.CLIPS,
                                    "bimm-demo",
                                    Math.max(clips.size(), 3L * batchSize))
                            .ahead(steps * batchSize)
                            .start()) {
                // A demo's broker is new each time: its savepoints would point at offsets of a
                // broker that is gone, so every demo starts fresh.
                TrainRunner.Result r = TrainRunner.run(conf, true, null, port, System.out);
                System.out.println(
                        "demo: trained "
                                + r.steps()
                                + " steps (batch "
                                + batchSize
                                + ") on "
                                + feeder.epochs()
                                + " epochs of "
                                + clips.size()
                                + " clips; latest checkpoint "
                                + (r.latestCheckpoint() == null ? "(none)" : r.latestCheckpoint()));
            }
        }
        return 0;
    }

    private Ingestor.Settings ingestSettings(String bootstrap) {
        return new Ingestor.Settings(
                bootstrap,
                Topics.CLIPS,
                Topics.DEADLETTER,
                segmentSeconds,
                null,
                false,
                Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                Long.MAX_VALUE,
                2,
                Map.of());
    }

    static Path defaultVideos() {
        String home = System.getProperty("bimm.home");
        Path root = home != null ? Paths.get(home) : Paths.get("").toAbsolutePath();
        return root.resolveSibling("shared").resolve("data").resolve("videos").normalize();
    }
}
