package io.bimm.flink.job;

import io.bimm.flink.kafka.KafkaAccess;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.train.ImageOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Stage;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training job's second source: the images topic, read when the ventral branch trains on images
 * ({@link #ventralSource}), decoded into ventral-only samples ({@link DecodeImageFunction}).
 */
public final class ImageSources {

    /** What the ventral branch of a job trains on. */
    public enum VentralSource {
        /** One sampled frame of each video clip (SPEC 1), from the clips topic only. */
        FRAMES,
        /** Still images, from the images topic only ({@code --stage ventral}). */
        IMAGES,
        /**
         * Both topics, mixed per batch at {@code train.image-share} ({@code ventral} with a share
         * between 0 and 1, {@code joint} with a share above 0).
         */
        MIXED
    }

    private static final Logger LOG = LoggerFactory.getLogger(ImageSources.class);
    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(10);

    private ImageSources() {}

    /**
     * What the job's ventral branch trains on (docs/images.md): for {@code --stage ventral} images
     * only with {@code train.image-share=1} or with the share unset and records in the images
     * topic, both topics with a share between 0 and 1; for {@code --stage joint} both topics with a
     * share above 0; else video frames.
     *
     * @throws IllegalArgumentException for a share outside [0, 1], or a share that needs images and
     *     an empty images topic
     */
    public static VentralSource ventralSource(ReadableConfig conf, Properties client) {
        Stage stage = conf.get(TrainJobOptions.STAGE);
        String topic = conf.get(ImageOptions.IMAGES_TOPIC);
        var share = conf.getOptional(ImageOptions.IMAGE_SHARE);
        if (share.isPresent() && !(share.get() >= 0.0 && share.get() <= 1.0)) {
            throw new IllegalArgumentException(
                    "option '"
                            + ImageOptions.IMAGE_SHARE.key()
                            + "' is "
                            + share.get()
                            + ": it must be between 0 (video frames) and 1 (images).");
        }
        VentralSource wanted = wanted(stage, share.orElse(null));
        if (wanted == VentralSource.FRAMES) {
            return VentralSource.FRAMES;
        }
        OptionalLong records =
                recordCount(conf.get(TrainJobOptions.BOOTSTRAP), topic, client, DESCRIBE_TIMEOUT);
        boolean hasImages = records.isPresent() && records.getAsLong() > 0;
        if (share.isPresent() && !hasImages) {
            throw new IllegalArgumentException(
                    "option '"
                            + ImageOptions.IMAGE_SHARE.key()
                            + "="
                            + shareText(share.get())
                            + "' trains --stage "
                            + stage.name().toLowerCase(Locale.ROOT)
                            + " on images, but the images topic '"
                            + topic
                            + "' "
                            + (records.isPresent() ? "is empty" : "cannot be read")
                            + ": ingest images with 'bimm ingest --images DIR', or set "
                            + ImageOptions.IMAGE_SHARE.key()
                            + "=0 to train on video frames.");
        }
        VentralSource source = hasImages ? wanted : VentralSource.FRAMES;
        LOG.info(
                "--stage {} trains its ventral branch on {} (images topic {}: {} records)",
                stage.name().toLowerCase(Locale.ROOT),
                source == VentralSource.MIXED
                        ? "images and video frames, image share " + share.get()
                        : source == VentralSource.IMAGES ? "images" : "video frames",
                topic,
                records.isPresent() ? records.getAsLong() : "unknown");
        return source;
    }

    /** What {@code stage} at {@code share} (null: unset) reads, before looking at the topic. */
    static VentralSource wanted(Stage stage, Double share) {
        if (stage == Stage.VENTRAL) {
            if (share == null || share == 1.0) {
                return VentralSource.IMAGES;
            }
            return share == 0.0 ? VentralSource.FRAMES : VentralSource.MIXED;
        }
        if (stage == Stage.JOINT && share != null && share > 0.0) {
            return VentralSource.MIXED;
        }
        return VentralSource.FRAMES;
    }

    private static String shareText(double share) {
        return share == Math.rint(share) ? String.valueOf((long) share) : String.valueOf(share);
    }

    /**
     * Records in {@code topic} (latest minus earliest offsets over its partitions); empty when the
     * topic does not exist or the cluster does not answer within {@code timeout}.
     */
    public static OptionalLong recordCount(
            String bootstrap, String topic, Properties client, Duration timeout) {
        long ms = timeout.toMillis();
        try (Admin admin = Admin.create(KafkaAccess.adminProperties(bootstrap, client, timeout))) {
            int partitions =
                    admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(ms, TimeUnit.MILLISECONDS)
                            .get(topic)
                            .partitions()
                            .size();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long n = 0;
            for (var e :
                    admin.listOffsets(latest).all().get(ms, TimeUnit.MILLISECONDS).entrySet()) {
                n += e.getValue().offset();
            }
            for (var e :
                    admin.listOffsets(earliest).all().get(ms, TimeUnit.MILLISECONDS).entrySet()) {
                n -= e.getValue().offset();
            }
            return OptionalLong.of(n);
        } catch (ExecutionException | TimeoutException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /**
     * The images topic's samples: one Kafka reader per preprocessing instance, the decoding chained
     * to it (an image record is small); dead letters on {@link DeadLetters#TAG} of the result.
     */
    public static SingleOutputStreamOperator<TrainingSample> samples(
            StreamExecutionEnvironment env,
            ReadableConfig conf,
            PrepOptions prep,
            Properties client) {
        int parallelism = conf.get(TrainJobOptions.PREP_PARALLELISM);
        return env.fromSource(
                        ClipSources.records(
                                conf.get(TrainJobOptions.BOOTSTRAP),
                                conf.get(ImageOptions.IMAGES_TOPIC),
                                conf.get(TrainJobOptions.GROUP_ID),
                                false,
                                client),
                        WatermarkStrategy.noWatermarks(),
                        "kafka-images")
                .uid("kafka-images")
                .setParallelism(parallelism)
                .process(new DecodeImageFunction(prep))
                .uid("decode-image")
                .name("decode-image-targets-mask")
                .setParallelism(parallelism);
    }
}
