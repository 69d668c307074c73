package io.bimm.flink.train;

import io.bimm.flink.fault.FaultInjector;
import io.bimm.flink.fault.FaultOptions;
import io.bimm.flink.job.ClipSources;
import io.bimm.flink.job.DeadLetters;
import io.bimm.flink.job.DecodeClipFunction;
import io.bimm.flink.job.ImageSources;
import io.bimm.flink.job.KafkaRecord;
import io.bimm.flink.kafka.TopicAdmin;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.PrepareSampleFunction;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.train.TrainOptions;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.VideoClip;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.operators.SlotSharingGroup;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training job graph: Kafka clips, record decoding, preprocessing (decode, targets, masks)
 * scaled out to {@code prep.parallelism}, and the training sink with parallelism 1. Dead letters of
 * every stage go to the dead-letter topic.
 */
public final class TrainJob {

    /** Name of the job in the Flink dashboard. */
    public static final String NAME = "bimm-train";

    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    private TrainJob() {}

    /**
     * The model config the options describe: the preset, the {@link ModelOptions} (splits, sharing,
     * targets, loss weights, lambda) and the mask ratios of {@link PrepConfigOptions}.
     *
     * @throws IllegalArgumentException one sentence naming the option whose value is invalid
     */
    public static BimmConfig modelConfig(Configuration conf) {
        Preset preset = conf.get(TrainJobOptions.PRESET);
        BimmConfig.Builder b =
                BimmConfig.builder(preset)
                        .optMaskRatios(
                                conf.get(PrepConfigOptions.VENTRAL_MASK_RATIO).floatValue(),
                                conf.get(PrepConfigOptions.DORSAL_MASK_RATIO).floatValue())
                        .optSharing(conf.get(ModelOptions.SHARING))
                        .optLambda(ModelOptions.lambda(conf));
        int[] splits = ModelOptions.splits(conf, BimmConfig.builder(preset).build());
        if (splits != null) {
            b.optSplits(splits[0], splits[1], splits[2]);
        }
        Set<Target> on = ModelOptions.targets(conf, stage(conf));
        for (Target t : Target.values()) {
            b.optTarget(t, on.contains(t));
        }
        float[] w = ModelOptions.lossWeights(conf);
        b.optWeights(w[0], w[1], w[2]);
        return b.build();
    }

    /** The optimization settings the options describe. */
    public static TrainOptions trainOptions(Configuration conf) {
        TrainOptions.Builder b =
                TrainOptions.builder()
                        .optStage(stage(conf))
                        .optBatchSize(conf.get(TrainJobOptions.BATCH_SIZE))
                        .optBaseLr(conf.get(TrainJobOptions.BASE_LR))
                        .optWarmupSteps(conf.get(TrainJobOptions.WARMUP_STEPS));
        long horizon = conf.get(TrainJobOptions.HORIZON_STEPS);
        if (horizon > 0) {
            b.optCosine(horizon, conf.get(TrainJobOptions.MIN_LR));
        }
        return b.build();
    }

    /** The {@code train.stage} option. */
    public static Stage stage(Configuration conf) {
        return conf.get(TrainJobOptions.STAGE);
    }

    /**
     * Preprocessing settings: the preset's S and T, the options' stride, ratios and seed, and the
     * limits on untrusted input ({@code prep.max-*}, {@code prep.short-clip-policy}).
     */
    public static PrepOptions prepOptions(Configuration conf, BimmConfig model) {
        return PrepConfigOptions.read(conf, model.getImageSize(), model.getFrames());
    }

    /**
     * Adds the training job to {@code env}; returns the stream of trained step numbers (null with
     * {@code prep.only}, where nothing is trained).
     */
    public static DataStream<Long> build(StreamExecutionEnvironment env, Configuration conf) {
        BimmConfig model = modelConfig(conf);
        TrainOptions options = trainOptions(conf);
        String bootstrap = conf.get(TrainJobOptions.BOOTSTRAP);
        Path checkpointDir = Paths.get(conf.get(TrainJobOptions.CHECKPOINT_DIR)).toAbsolutePath();

        int prepParallelism = conf.get(TrainJobOptions.PREP_PARALLELISM);
        String clipsTopic = conf.get(TrainJobOptions.CLIPS_TOPIC);
        Properties client = kafkaClient(conf);
        ImageSources.VentralSource ventral = ImageSources.ventralSource(conf, client);
        if (ventral == ImageSources.VentralSource.IMAGES) {
            // --stage ventral on images (docs/images.md): the clips topic is not read.
            SingleOutputStreamOperator<TrainingSample> images =
                    ImageSources.samples(env, conf, prepOptions(conf, model), client);
            return addSink(images, images.getSideOutput(DeadLetters.TAG), conf, checkpointDir);
        }
        boolean rebalance = rebalance(conf, bootstrap, clipsTopic, prepParallelism);
        SingleOutputStreamOperator<KafkaRecord> records =
                env.fromSource(
                                ClipSources.records(
                                        bootstrap,
                                        clipsTopic,
                                        conf.get(TrainJobOptions.GROUP_ID),
                                        false,
                                        client),
                                WatermarkStrategy.noWatermarks(),
                                "kafka-clips")
                        .uid("kafka-clips");
        SingleOutputStreamOperator<VideoClip> clips =
                records.process(new DecodeClipFunction())
                        .uid("decode-record")
                        .name("decode-record");
        if (!rebalance) {
            // One Kafka reader per preprocessing instance, chained: a clip (up to 16 MB) is
            // never serialized between tasks.
            records.setParallelism(prepParallelism);
            clips.setParallelism(prepParallelism);
        }
        SingleOutputStreamOperator<TrainingSample> samples =
                (rebalance ? clips.rebalance() : clips)
                        .process(new PrepareSampleFunction(prepOptions(conf, model)))
                        .uid("prepare-sample")
                        .name("decode-targets-mask")
                        .setParallelism(prepParallelism);
        DataStream<DeadLetter> deadLetters =
                clips.getSideOutput(DeadLetters.TAG)
                        .union(samples.getSideOutput(PrepareSampleFunction.DEAD_LETTERS));
        if (ventral == ImageSources.VentralSource.MIXED) {
            // train.image-share between 0 and 1 (ventral) or above 0 (joint): the sink mixes
            // both topics' samples per batch (BatchMix, docs/images.md).
            SingleOutputStreamOperator<TrainingSample> images =
                    ImageSources.samples(env, conf, prepOptions(conf, model), client);
            return addSink(
                    samples.union(images),
                    deadLetters.union(images.getSideOutput(DeadLetters.TAG)),
                    conf,
                    checkpointDir);
        }
        return addSink(samples, deadLetters, conf, checkpointDir);
    }

    /**
     * Adds the training sink (or, with {@code prep.only}, a discarding one) behind {@code samples},
     * and the dead-letter sink behind {@code deadLetters}; returns the trained step numbers (null
     * with {@code prep.only}).
     */
    private static DataStream<Long> addSink(
            DataStream<TrainingSample> samples,
            DataStream<DeadLetter> deadLetters,
            Configuration conf,
            Path checkpointDir) {
        int prepParallelism = conf.get(TrainJobOptions.PREP_PARALLELISM);
        if (conf.get(TrainJobOptions.PREP_ONLY)) {
            // Chained to each preprocessing instance: what is measured is the preprocessing.
            samples.sinkTo(new DiscardingSink<>())
                    .name("prep-only")
                    .setParallelism(prepParallelism);
            addDeadLetters(deadLetters, conf);
            return null;
        }
        DataStream<TrainingSample> toTrain = samples;
        if (FaultOptions.enabled(conf)) {
            // Only for deploy/fault-test.sh: a normal job graph has no such operator.
            toTrain =
                    samples.process(
                                    new FaultInjector(
                                            conf.get(FaultOptions.THROW_AT_SAMPLE),
                                            conf.get(FaultOptions.NAN_AT_SAMPLE)))
                            .uid("fault-injection")
                            .name("fault-injection")
                            .setParallelism(1)
                            // Heads the sink's chain: the chain's max parallelism must stay the
                            // sink's, or a run without faults cannot restore the savepoint.
                            .setMaxParallelism(1);
        }
        Configuration sinkOptions = new Configuration(conf);
        sinkOptions.set(TrainJobOptions.CHECKPOINT_DIR, checkpointDir.toString());
        SingleOutputStreamOperator<Long> steps =
                toTrain.transform("training-sink", Types.LONG, new TrainingSink(sinkOptions))
                        .uid("training-sink")
                        .name("training-sink")
                        .setParallelism(1)
                        .setMaxParallelism(1);
        int gpus = conf.get(TrainJobOptions.SINK_GPUS);
        if (gpus > 0) {
            // Fine-grained resources: only a TaskManager with Flink's 'gpu' external resource
            // can offer this slot (deploy/k8s: the GPU pool, not the CPU preprocessing pool).
            steps.slotSharingGroup(
                    SlotSharingGroup.newBuilder("training")
                            .setCpuCores(conf.get(TrainJobOptions.SINK_CPU_CORES))
                            .setTaskHeapMemoryMB(conf.get(TrainJobOptions.SINK_HEAP_MB))
                            .setExternalResource("gpu", gpus)
                            .build());
        }
        // No sink after the training sink: a chained one was named after the whole chain ("Source:
        // kafka-clips -> ... -> steps: Writer"), past Flink's 80 characters for operator names.
        addDeadLetters(deadLetters, conf);
        return steps;
    }

    /**
     * Whether clips are spread round-robin over the preprocessing ({@code prep.rebalance}). With
     * {@code auto}, readers are chained to the preprocessing when the clips topic's partitions
     * divide evenly over {@code parallelism} (each instance then reads as many partitions); else,
     * or when the topic cannot be described, the clips are rebalanced.
     */
    static boolean rebalance(Configuration conf, String bootstrap, String topic, int parallelism) {
        switch (conf.get(TrainJobOptions.PREP_REBALANCE)) {
            case ALWAYS:
                return true;
            case NEVER:
                return false;
            case AUTO:
                if (parallelism <= 1) {
                    return false;
                }
                OptionalInt partitions =
                        TopicAdmin.partitionCount(bootstrap, topic, 10_000, kafkaClient(conf));
                boolean even = partitions.isPresent() && partitions.getAsInt() % parallelism == 0;
                LOG.info(
                        "prep.rebalance auto: topic {} has {} partitions, prep.parallelism {}: {}",
                        topic,
                        partitions.isPresent() ? partitions.getAsInt() : "unknown",
                        parallelism,
                        even ? "readers chained to the preprocessing" : "clips rebalanced");
                return !even;
            default:
                throw new IllegalStateException("Unknown prep.rebalance mode.");
        }
    }

    /** The {@code kafka.client.*} properties every Kafka client of the job gets. */
    public static Properties kafkaClient(Configuration conf) {
        Properties p = new Properties();
        p.putAll(conf.get(TrainJobOptions.KAFKA_CLIENT));
        return p;
    }

    private static void addDeadLetters(DataStream<DeadLetter> deadLetters, Configuration conf) {
        String bootstrap = conf.get(TrainJobOptions.BOOTSTRAP);
        deadLetters
                .sinkTo(
                        DeadLetters.sink(
                                bootstrap,
                                conf.get(TrainJobOptions.DEADLETTER_TOPIC),
                                kafkaClient(conf)))
                .uid("dead-letters")
                .name("dead-letters");
    }
}
