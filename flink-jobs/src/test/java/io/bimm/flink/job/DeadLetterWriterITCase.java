package io.bimm.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The dead-letter writer against a real broker: sized from the topic, failures only counted. */
class DeadLetterWriterITCase {

    private static final String TOPIC = "dl-small";

    /** Keeps the counters the writer registers, as the operator's metric group would. */
    static final class Counters extends UnregisteredMetricsGroup {
        final Map<String, Counter> byName = new HashMap<>();

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            byName.put(name, counter);
            return counter;
        }

        @Override
        public Counter counter(String name) {
            return counter(name, new org.apache.flink.metrics.SimpleCounter());
        }

        long get(String name) {
            return byName.get(name).getCount();
        }
    }

    static DeadLetter letter(int originalBytes) {
        return DeadLetter.newBuilder()
                .setSourceUri("clip-" + originalBytes)
                .setStage("decode")
                .setReasonCode("not_video")
                .setMessage("not a video")
                .setTimestamp(Instant.ofEpochMilli(1))
                .setOriginalBytes(ByteBuffer.wrap(new byte[originalBytes]))
                .build();
    }

    @Test
    void readsTheTopicLimitAndCountsAFailedSendInsteadOfThrowing() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopics(1, List.of(TOPIC), 300_000);
            DeadLetterSink sink = new DeadLetterSink(bootstrap, TOPIC, new Properties());
            int limit =
                    DeadLetterTopicLimit.maxMessageBytes(
                            bootstrap, TOPIC, new Properties(), java.time.Duration.ofSeconds(10));
            assertThat(limit).isEqualTo(300_000);
            assertThat(
                            DeadLetterTopicLimit.maxMessageBytes(
                                    bootstrap,
                                    "no-such-topic",
                                    new Properties(),
                                    java.time.Duration.ofSeconds(5)))
                    .isEqualTo(DeadLetterFitter.BROKER_DEFAULT_MAX_MESSAGE_BYTES);

            // A writer that believes the topic takes 16 MiB: the broker refuses the large letter.
            Counters metrics = new Counters();
            int wrong = 16 << 20;
            DeadLetterWriter writer =
                    new DeadLetterWriter(
                            new KafkaProducer<>(
                                    sink.producerProperties(wrong),
                                    new ByteArraySerializer(),
                                    new ByteArraySerializer()),
                            TOPIC,
                            new DeadLetterFitter(wrong),
                            metrics);
            writer.write(letter(1_000_000), null);
            writer.write(letter(1000), null);
            writer.flush(false);
            writer.close();
            assertThat(metrics.get("deadLettersFailed")).isEqualTo(1);
            assertThat(metrics.get("deadLettersSent")).isEqualTo(1);

            // Sized from the topic, the same letter is truncated and arrives.
            Counters right = new Counters();
            DeadLetterWriter fitted =
                    new DeadLetterWriter(
                            new KafkaProducer<>(
                                    sink.producerProperties(limit),
                                    new ByteArraySerializer(),
                                    new ByteArraySerializer()),
                            TOPIC,
                            new DeadLetterFitter(limit),
                            right);
            fitted.write(letter(1_000_000), null);
            fitted.flush(true);
            fitted.close();
            assertThat(right.get("deadLettersFailed")).isZero();
            assertThat(right.get("deadLettersSent")).isEqualTo(1);
            assertThat(right.get("deadLettersTruncated")).isEqualTo(1);
        }
    }
}
