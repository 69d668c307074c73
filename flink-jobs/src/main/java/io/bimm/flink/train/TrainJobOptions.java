package io.bimm.flink.train;

import io.bimm.flink.fault.FaultOptions;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.train.DeviceSpec;
import io.bimm.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The training job's own settings as typed Flink options; {@link #all()} adds the {@link
 * PrepConfigOptions} and {@link FaultOptions} the job reads (each key is defined in exactly one
 * class). {@code bimm train} shows them with their defaults and sets any of them with {@code -D
 * key=value}; the job reads the same options.
 */
public final class TrainJobOptions {

    private TrainJobOptions() {}

    public static final ConfigOption<String> BOOTSTRAP =
            ConfigOptions.key("kafka.bootstrap")
                    .stringType()
                    .defaultValue("localhost:9092")
                    .withDescription("Kafka bootstrap servers.");

    public static final ConfigOption<String> CLIPS_TOPIC =
            ConfigOptions.key("kafka.topic.clips")
                    .stringType()
                    .defaultValue(Topics.CLIPS)
                    .withDescription("Topic of VideoClip records to train on.");

    public static final ConfigOption<String> DEADLETTER_TOPIC =
            ConfigOptions.key("kafka.topic.deadletter")
                    .stringType()
                    .defaultValue(Topics.DEADLETTER)
                    .withDescription(
                            "Topic that receives every input that failed, with its reason.");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("kafka.group-id")
                    .stringType()
                    .defaultValue("bimm-train")
                    .withDescription(
                            "Consumer group; offsets are committed on Flink checkpoints, for"
                                    + " monitoring (Flink's own state holds the exact ones).");

    public static final ConfigOption<Map<String, String>> KAFKA_CLIENT =
            ConfigOptions.key("kafka.client")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription(
                            "Kafka client properties of every client of the job (the source, the"
                                    + " topic check, the dead-letter producer), one key each:"
                                    + " kafka.client.security.protocol=SASL_SSL,"
                                    + " kafka.client.sasl.jaas.config=... (bimm train"
                                    + " --kafka-properties FILE sets them from a file). The"
                                    + " dashboard hides the values of keys holding password,"
                                    + " secret, token or jaas.config.");

    public static final ConfigOption<Preset> PRESET =
            ConfigOptions.key("model.preset")
                    .enumType(Preset.class)
                    .defaultValue(Preset.TINY)
                    .withDescription("Model size preset: tiny, small, base or large (SPEC 4).");

    public static final ConfigOption<Stage> STAGE =
            ConfigOptions.key("train.stage")
                    .enumType(Stage.class)
                    .defaultValue(Stage.JOINT)
                    .withDescription(
                            "Training stage: ventral (image branch, L_V), joint (L = L_V + lambda"
                                    + " L_D) or dorsal (video branch only) (SPEC 5).");

    public static final ConfigOption<String> INIT_FROM =
            ConfigOptions.key("train.init-from")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Checkpoint directory to start from when no Flink state is restored;"
                                    + " a ventral checkpoint starts a joint or dorsal run with"
                                    + " its blocks copied and its patch kernel inflated (SPEC 5).");

    public static final ConfigOption<String> DEVICE =
            ConfigOptions.key("train.device")
                    .stringType()
                    .defaultValue("auto")
                    .withDescription(
                            "auto (data parallel over every GPU DJL sees, else the CPU), cpu, gpu"
                                    + " (GPU 0), or a comma-separated list of replica devices"
                                    + " such as gpu0,gpu1 (one model replica per entry).");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key("train.batch-size")
                    .intType()
                    .defaultValue(8)
                    .withDescription("Samples per training step.");

    public static final ConfigOption<String> CHECKPOINT_DIR =
            ConfigOptions.key("train.checkpoint-dir")
                    .stringType()
                    .defaultValue("bimm-data/checkpoints")
                    .withDescription(
                            "Where model checkpoints go (step-N directories and a 'latest'"
                                    + " link); Flink's own checkpoints go under flink/ inside it.");

    public static final ConfigOption<Integer> CHECKPOINT_EVERY =
            ConfigOptions.key("train.checkpoint-every")
                    .intType()
                    .defaultValue(100)
                    .withDescription("Write a user-facing model checkpoint every N steps.");

    public static final ConfigOption<Integer> CHECKPOINT_KEEP =
            ConfigOptions.key("train.checkpoint-keep")
                    .intType()
                    .defaultValue(5)
                    .withDescription(
                            "Model checkpoints kept (older ones are deleted, never one that a"
                                    + " Flink checkpoint still points to).");

    public static final ConfigOption<Duration> FLINK_CHECKPOINT_INTERVAL =
            ConfigOptions.key("train.flink-checkpoint-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "Interval of Flink checkpoints; each writes a model checkpoint and"
                                    + " the Kafka offsets it matches.");

    public static final ConfigOption<Long> MAX_STEPS =
            ConfigOptions.key("train.max-steps")
                    .longType()
                    .defaultValue(0L)
                    .withDescription(
                            "Stop cleanly with a final checkpoint after this many steps (0: run"
                                    + " until stopped).");

    public static final ConfigOption<Double> BASE_LR =
            ConfigOptions.key("train.base-lr")
                    .doubleType()
                    .defaultValue(1.5e-4)
                    .withDescription("blr; lr = blr * batch / 256 (SPEC 5).");

    public static final ConfigOption<Long> WARMUP_STEPS =
            ConfigOptions.key("train.warmup-steps")
                    .longType()
                    .defaultValue(100L)
                    .withDescription("Linear warmup from 0 over this many steps.");

    public static final ConfigOption<Long> HORIZON_STEPS =
            ConfigOptions.key("train.horizon-steps")
                    .longType()
                    .defaultValue(0L)
                    .withDescription(
                            "Cosine decay to train.min-lr over this many steps; 0 keeps the lr"
                                    + " constant after warmup (open-ended streams).");

    public static final ConfigOption<Double> MIN_LR =
            ConfigOptions.key("train.min-lr")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("Final lr of the cosine schedule.");

    public static final ConfigOption<Boolean> PREP_ONLY =
            ConfigOptions.key("prep.only")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Measure the preprocessing alone: samples go to a discarding sink"
                                    + " instead of the trainer (deploy/load-test.sh --prep-only).");

    public static final ConfigOption<Integer> SINK_GPUS =
            ConfigOptions.key("train.sink-gpus")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "GPUs the training sink's slot asks for (Flink's external resource"
                                    + " 'gpu'): > 0 puts the sink in its own slot sharing group"
                                    + " 'training' with fine-grained resources, so that it only"
                                    + " runs on TaskManagers that have a GPU. 0: any slot.");

    public static final ConfigOption<Double> SINK_CPU_CORES =
            ConfigOptions.key("train.sink-cpu-cores")
                    .doubleType()
                    .defaultValue(2.0)
                    .withDescription(
                            "CPU cores of the training sink's slot when train.sink-gpus > 0.");

    public static final ConfigOption<Integer> SINK_HEAP_MB =
            ConfigOptions.key("train.sink-heap-mb")
                    .intType()
                    .defaultValue(4096)
                    .withDescription(
                            "Task heap (MiB) of the training sink's slot when train.sink-gpus > 0.");

    public static final ConfigOption<Integer> PREP_PARALLELISM =
            ConfigOptions.key("prep.parallelism")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Parallel instances of the preprocessing operator (decode, targets,"
                                    + " masks); the training sink always runs one.");

    public static final ConfigOption<Rebalance> PREP_REBALANCE =
            ConfigOptions.key("prep.rebalance")
                    .enumType(Rebalance.class)
                    .defaultValue(Rebalance.AUTO)
                    .withDescription(
                            "How clips reach the preprocessing: 'never' runs prep.parallelism Kafka"
                                    + " readers chained to the preprocessing (no copy of the clip"
                                    + " between tasks), 'always' spreads the clips of fewer readers"
                                    + " round-robin over the preprocessing, 'auto' chains when the"
                                    + " clips topic's partitions divide evenly over prep.parallelism.");

    /** How clips reach the preprocessing ({@link #PREP_REBALANCE}). */
    public enum Rebalance {
        /** Chain when the clips topic's partitions divide evenly over prep.parallelism. */
        AUTO,
        /** Spread the clips round-robin over the preprocessing. */
        ALWAYS,
        /** One Kafka reader per preprocessing instance, chained to it. */
        NEVER
    }

    /**
     * The replica devices {@link #DEVICE} names, parsed.
     *
     * @throws IllegalArgumentException naming the entry that is no device
     */
    public static DeviceSpec device(ReadableConfig conf) {
        try {
            return DeviceSpec.parse(conf.get(DEVICE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "option '" + DEVICE.key() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Every option {@code bimm train} accepts, in the order {@code bimm train --help} lists them:
     * this class's, and those of {@link ModelOptions}, {@link ImageOptions}, {@link
     * PrepConfigOptions} and {@link FaultOptions} the job reads.
     */
    public static ConfigOption<?>[] all() {
        return new ConfigOption<?>[] {
            BOOTSTRAP,
            CLIPS_TOPIC,
            ImageOptions.IMAGES_TOPIC,
            DEADLETTER_TOPIC,
            GROUP_ID,
            KAFKA_CLIENT,
            PRESET,
            ModelOptions.SPLITS,
            ModelOptions.SHARING,
            ModelOptions.TARGETS,
            ModelOptions.LOSS_WEIGHTS,
            ModelOptions.LAMBDA,
            STAGE,
            ImageOptions.IMAGE_SHARE,
            INIT_FROM,
            DEVICE,
            PrecisionOptions.PRECISION,
            BATCH_SIZE,
            CHECKPOINT_DIR,
            CHECKPOINT_EVERY,
            CHECKPOINT_KEEP,
            FLINK_CHECKPOINT_INTERVAL,
            MAX_STEPS,
            TrainingLogOptions.LOG_EVERY,
            BASE_LR,
            WARMUP_STEPS,
            HORIZON_STEPS,
            MIN_LR,
            PREP_PARALLELISM,
            PREP_ONLY,
            PREP_REBALANCE,
            SINK_GPUS,
            SINK_CPU_CORES,
            SINK_HEAP_MB,
            PrepConfigOptions.SEED,
            PrepConfigOptions.DETERMINISTIC,
            PrepConfigOptions.STRIDE,
            PrepConfigOptions.VENTRAL_MASK_RATIO,
            PrepConfigOptions.DORSAL_MASK_RATIO,
            PrepConfigOptions.SHORT_CLIP_POLICY,
            PrepConfigOptions.REPEATED_SAMPLING,
            PrepConfigOptions.MAX_BYTES,
            PrepConfigOptions.MAX_WIDTH,
            PrepConfigOptions.MAX_HEIGHT,
            PrepConfigOptions.MAX_FRAMES,
            PrepConfigOptions.MAX_DECODE_TIME,
            PrepConfigOptions.SKIP_UNNEEDED_FRAMES,
            FaultOptions.THROW_AT_SAMPLE,
            FaultOptions.NAN_AT_SAMPLE
        };
    }
}
