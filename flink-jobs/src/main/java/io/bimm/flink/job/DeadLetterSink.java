package io.bimm.flink.job;

import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes dead letters to a Kafka topic and never fails the job for one.
 *
 * <p>Flink's {@code KafkaSink} rethrows a failed send, so one letter too large for the topic
 * restarted the job forever. Here each writer reads the topic's {@code max.message.bytes} when it
 * starts, sizes its producer's {@code max.request.size} to it, fits every letter into it ({@link
 * DeadLetterFitter}: the original bytes truncated or omitted, size and SHA-256 kept), and counts
 * and logs a send that fails anyway ({@link DeadLetterWriter}). Sends are flushed before every
 * checkpoint: at least once for every letter the broker accepts.
 */
public final class DeadLetterSink implements Sink<DeadLetter> {

    private static final long serialVersionUID = 1L;

    /** How long a writer waits for the topic's size limit before assuming the broker default. */
    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(10);

    private final String bootstrap;
    private final String topic;
    private final Properties extra;

    /**
     * @param extra Kafka client properties (security settings etc.); the size limits are this
     *     sink's own
     */
    public DeadLetterSink(String bootstrap, String topic, Properties extra) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.extra = new Properties();
        this.extra.putAll(extra);
    }

    @Override
    public SinkWriter<DeadLetter> createWriter(WriterInitContext context) throws IOException {
        int limit = DeadLetterTopicLimit.maxMessageBytes(bootstrap, topic, extra, DESCRIBE_TIMEOUT);
        return new DeadLetterWriter(
                new KafkaProducer<>(
                        producerProperties(limit),
                        new ByteArraySerializer(),
                        new ByteArraySerializer()),
                topic,
                new DeadLetterFitter(limit),
                context.metricGroup());
    }

    Properties producerProperties(int maxMessageBytes) {
        Properties p = new Properties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bimm-dead-letters");
        p.putAll(extra);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxMessageBytes);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 4L * maxMessageBytes));
        return p;
    }
}
