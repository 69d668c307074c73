package io.bimm.flink.testutil;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the dead-letter topic of a test broker. */
public final class DeadLetterTopic {
    private DeadLetterTopic() {}

    /**
     * Every dead letter on {@link Topics#DEADLETTER}: polls for up to 60 s until {@code expected}
     * arrived, then 2 s more so that a duplicate would show.
     */
    public static List<DeadLetter> read(String bootstrap, int expected) {
        List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                                Topics.DEFAULT_MAX_MESSAGE_BYTES),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(Topics.DEADLETTER)
                    .forEach(p -> parts.add(new TopicPartition(Topics.DEADLETTER, p.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
            long deadline = System.currentTimeMillis() + 60_000;
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                c.poll(Duration.ofMillis(500)).forEach(r -> out.add(codec.decode(r.value())));
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.currentTimeMillis() + 2_000;
                }
            }
        }
        return out;
    }
}
