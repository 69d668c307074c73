package io.bimm.flink.ingest.live;

import io.bimm.flink.ingest.ClipRecords;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.VideoSegmenter;
import io.bimm.flink.job.DeadLetterTopicLimit;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.OriginalBytesState;
import io.bimm.schemas.VideoClip;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces the segments of live sources as {@link VideoClip} records, and the ones that cannot go
 * as dead letters (stage {@code ingest}), with the producer settings of file ingest ({@link
 * Ingestor#producerProperties}). Thread safe: every source's thread produces through it.
 *
 * <p>A clip's key and id are {@code <source id>-<start time in microseconds>}; its source URI is
 * the URL without secrets. When Kafka has taken a clip, the source's position is saved, so that a
 * restart does not send it again.
 */
final class ClipProducer implements AutoCloseable {

    private final Ingestor.Settings settings;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
    private final FollowStatus status;
    private final SourcePositions positions;
    private final PrintStream err;
    private DeadLetterFitter fitter;

    ClipProducer(
            Ingestor.Settings settings,
            FollowStatus status,
            SourcePositions positions,
            PrintStream err) {
        this.settings = settings;
        this.status = status;
        this.positions = positions;
        this.err = err;
        Properties p = Ingestor.producerProperties(settings);
        if (!settings.kafkaProperties().containsKey(ProducerConfig.CLIENT_ID_CONFIG)) {
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "bimm-ingest-live");
        }
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        // Sized now: a letter may be sent from the producer's callback, which must not block.
        fitter();
    }

    static String clipId(LiveSource source, long startMicros) {
        return source.id() + "-" + startMicros;
    }

    /**
     * Sends one segment; when Kafka has it, {@code state} is saved as the source's position.
     * Returns at once.
     */
    void send(LiveSource source, LiveSegmenter.Cut cut, LiveClock.State state) {
        VideoSegmenter.Segment segment = cut.segment();
        VideoClip clip = toClip(source, cut);
        byte[] value = codec.encode(clip);
        String id = clip.getClipId();
        producer.send(
                new ProducerRecord<>(settings.topic(), id, value),
                (meta, e) -> {
                    if (e == null) {
                        status.clipSent(source, segment.index(), cut.startMicros(), value.length);
                        positions.put(source.id(), state);
                    } else {
                        DeadLetterReason reason =
                                e instanceof RecordTooLargeException
                                        ? DeadLetterReason.OVER_SIZE
                                        : DeadLetterReason.INTERNAL_ERROR;
                        reject(
                                source,
                                id,
                                segment.data(),
                                reason,
                                "Kafka refused segment " + segment.index() + ": " + e.getMessage());
                    }
                });
    }

    private VideoClip toClip(LiveSource source, LiveSegmenter.Cut cut) {
        return ClipRecords.of(
                cut.probe(),
                cut.segment(),
                new ClipRecords.Origin(
                        clipId(source, cut.startMicros()),
                        source.display(),
                        cut.startMicros(),
                        Instant.now(),
                        settings.label(),
                        Map.of(
                                "source.container", cut.probe().container(),
                                "source.live", source.family().name().toLowerCase(),
                                "source.timeline", source.family().timeline().name())));
    }

    /**
     * Reports a segment that does not go in: on {@code err} as {@code rejected SOURCE: REASON:
     * message}, to the dead-letter topic (with its bytes when they fit {@code --max-clip-bytes}),
     * and in the counters.
     */
    void reject(
            LiveSource source, String key, byte[] data, DeadLetterReason reason, String message) {
        status.segmentRejected();
        err.println("rejected " + source.display() + ": " + reason.code() + ": " + message);
        boolean keep = data != null && data.length <= settings.maxClipBytes();
        DeadLetter dl =
                DeadLetter.newBuilder()
                        .setSourceUri(source.display())
                        .setStage("ingest")
                        .setReasonCode(reason.code())
                        .setMessage(source.display() + ": " + message)
                        .setTimestamp(Instant.now())
                        .setOriginalBytes(ByteBuffer.wrap(keep ? data : new byte[0]))
                        .setOriginalSize(keep || data == null ? null : (long) data.length)
                        .setOriginalBytesState(
                                keep ? OriginalBytesState.COMPLETE : OriginalBytesState.OMITTED)
                        .build();
        byte[] value = fitter().fit(dl, key.getBytes(StandardCharsets.UTF_8).length).value();
        producer.send(new ProducerRecord<>(settings.deadLetterTopic(), key, value));
    }

    private synchronized DeadLetterFitter fitter() {
        if (fitter == null) {
            Properties extra = new Properties();
            extra.putAll(settings.kafkaProperties());
            int topicLimit =
                    DeadLetterTopicLimit.maxMessageBytes(
                            settings.bootstrap(),
                            settings.deadLetterTopic(),
                            extra,
                            Duration.ofSeconds(10));
            fitter = new DeadLetterFitter(Math.min(topicLimit, settings.maxClipBytes() + 65536));
        }
        return fitter;
    }

    /** Waits until Kafka has everything sent so far. */
    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
