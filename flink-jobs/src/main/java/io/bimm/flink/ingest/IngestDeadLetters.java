package io.bimm.flink.ingest;

import io.bimm.flink.job.DeadLetterTopicLimit;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.OriginalBytesState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The dead letters of file ingest: one per rejected file, with its bytes when they fit. */
final class IngestDeadLetters {

    private final Ingestor.Settings settings;
    private final KafkaProducer<String, byte[]> producer;
    private DeadLetterFitter fitter;

    IngestDeadLetters(Ingestor.Settings settings, KafkaProducer<String, byte[]> producer) {
        this.settings = settings;
        this.producer = producer;
    }

    /**
     * Sends {@code r} to the dead-letter topic with {@code read}, the file's bytes as read under
     * {@link InputFile}'s rules (null when it was not read: not a regular file, out of its tree,
     * over a limit); the file is never read again here. Bytes over the clip limit, or not read, are
     * omitted (with the size of a regular file); the fitter adds size and SHA-256 and cuts the
     * letter to the dead-letter topic's limit.
     */
    void send(Path file, IngestReport.Rejection r, byte[] read) {
        boolean keep = read != null && read.length <= settings.maxClipBytes();
        byte[] original = keep ? read : new byte[0];
        OriginalBytesState state = keep ? OriginalBytesState.COMPLETE : OriginalBytesState.OMITTED;
        Long omittedSize =
                keep ? null : read != null ? (Long) (long) read.length : regularSize(file);
        DeadLetter dl =
                DeadLetter.newBuilder()
                        .setSourceUri(file.toUri().toString())
                        .setStage("ingest")
                        .setReasonCode(r.reason().code())
                        .setMessage(file.getFileName() + ": " + r.message())
                        .setTimestamp(Instant.now())
                        .setOriginalBytes(ByteBuffer.wrap(original))
                        .setOriginalSize(omittedSize)
                        .setOriginalBytesState(state)
                        .build();
        String key = file.toUri().toString();
        byte[] value = fitter().fit(dl, key.getBytes(StandardCharsets.UTF_8).length).value();
        producer.send(new ProducerRecord<>(settings.deadLetterTopic(), key, value));
    }

    /** The size of {@code file} if it is a regular file (links not followed), else null. */
    private static Long regularSize(Path file) {
        try {
            BasicFileAttributes a =
                    Files.readAttributes(
                            file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? a.size() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Sized for the dead-letter topic's limit and this producer's, read once. */
    private DeadLetterFitter fitter() {
        if (fitter == null) {
            Properties extra = new Properties();
            extra.putAll(settings.kafkaProperties());
            int topicLimit =
                    DeadLetterTopicLimit.maxMessageBytes(
                            settings.bootstrap(),
                            settings.deadLetterTopic(),
                            extra,
                            Duration.ofSeconds(10));
            int requestLimit =
                    Integer.parseInt(
                            Ingestor.producerProperties(settings)
                                    .get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
                                    .toString());
            fitter = new DeadLetterFitter(Math.min(topicLimit, requestLimit));
        }
        return fitter;
    }
}
