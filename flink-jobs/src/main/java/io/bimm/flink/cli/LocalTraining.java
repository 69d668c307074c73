package io.bimm.flink.cli;

import io.bimm.flink.ingest.EpochFeeder;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainRunner;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * What {@code bimm demo} and {@code bimm eval} share: an ephemeral Kafka broker (KRaft), a set of
 * videos ingested into it, and a training job in a local Flink MiniCluster that reads them while an
 * {@link EpochFeeder} produces them again as new epochs.
 */
final class LocalTraining implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final int partitions;
    private final List<VideoClip> clips = new ArrayList<>();

    /** Starts the broker and creates its topics with two partitions each (the demo). */
    LocalTraining() throws Exception {
        this(2);
    }

    /**
     * Starts the broker and creates its topics with {@code partitions} partitions each. One
     * partition read by one preprocessing instance gives the job its samples in the order they were
     * produced, whatever the timing ({@code bimm eval}); two let the demo show the parallel read.
     */
    LocalTraining(int partitions) throws Exception {
        this.partitions = partitions;
        kafka = EmbeddedKafka.startEphemeral();
        try {
            kafka.createDefaultTopics(partitions);
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Ingests {@code inputs} in {@code segmentSeconds} segments; the clips are kept to re-feed. */
    IngestReport ingest(List<String> inputs, double segmentSeconds) throws Exception {
        try (Ingestor ingestor =
                new Ingestor(
                        Ingestor.Settings.clips(
                                kafka.bootstrapServers(),
                                Topics.CLIPS,
                                segmentSeconds,
                                partitions))) {
            ingestor.onClip(clips::add);
            return ingestor.ingest(InputFiles.expand(inputs), System.err, false);
        }
    }

    /** The clips ingested so far. */
    int clips() {
        return clips.size();
    }

    /**
     * Ingests the JPEG/PNG images {@code inputs} into the images topic as {@code ingest --images}
     * does (docs/images.md); {@code bimm demo} feeds its frame images so.
     */
    IngestReport ingestImages(List<String> inputs) throws Exception {
        try (Ingestor ingestor =
                new Ingestor(
                        new Ingestor.Settings(
                                kafka.bootstrapServers(),
                                Topics.IMAGES,
                                Topics.DEADLETTER,
                                0,
                                null,
                                true,
                                Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                                Long.MAX_VALUE,
                                2,
                                Map.of()))) {
            return ingestor.ingest(InputFiles.expand(inputs), System.err, false);
        }
    }

    /** The clips ingested so far, in order (not copied: do not change them). */
    List<VideoClip> clipRecords() {
        return Collections.unmodifiableList(clips);
    }

    /** A finished run: the job's result, and the epochs of the clips produced for it. */
    record Result(TrainRunner.Result job, long epochs) {}

    /**
     * Runs the training job of {@code conf} (its broker set to this one) from scratch, with the
     * dashboard on {@code port} and the {@code progress} line on stderr; the runner's lines go to
     * {@code System.out}. The clips are produced again as epochs for the job's consumer group, all
     * the epochs of {@code train.max-steps} at once when it is set.
     */
    Result train(Configuration conf, int port, ProgressOptions progress) throws Exception {
        conf.set(TrainJobOptions.BOOTSTRAP, kafka.bootstrapServers());
        int batch = conf.get(TrainJobOptions.BATCH_SIZE);
        try (EpochFeeder feeder =
                        new EpochFeeder(
                                        clips,
                                        kafka.bootstrapServers(),
                                        Topics.CLIPS,
                                        conf.get(TrainJobOptions.GROUP_ID),
                                        Math.max(clips.size(), 3L * batch))
                                .ahead(
                                        recordsFor(
                                                conf.get(TrainJobOptions.MAX_STEPS) * batch, conf))
                                .start();
                ProgressWatcher watcher =
                        ProgressWatcher.start(
                                progress,
                                Paths.get(conf.get(TrainJobOptions.CHECKPOINT_DIR)),
                                conf.get(TrainJobOptions.MAX_STEPS))) {
            TrainRunner.Result r = TrainRunner.run(conf, true, null, port, System.out);
            return new Result(r, feeder.epochs());
        }
    }

    /**
     * Records that yield {@code samples} training samples: each clip record yields {@code
     * prep.repeated-sampling} of them (SPEC 1, repeated sampling).
     */
    static long recordsFor(long samples, Configuration conf) {
        long r = conf.get(PrepConfigOptions.REPEATED_SAMPLING);
        return (samples + r - 1) / r;
    }

    @Override
    public void close() {
        kafka.close();
    }
}
