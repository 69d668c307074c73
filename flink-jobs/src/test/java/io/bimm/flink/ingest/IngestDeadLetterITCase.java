package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.OriginalBytesState;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm ingest} into a dead-letter topic smaller than its rejects: the letters are fitted
 * (original bytes truncated or omitted, size and SHA-256 kept) instead of refused by the broker.
 */
class IngestDeadLetterITCase {

    private static final int TOPIC_LIMIT = 200_000;

    @Test
    void rejectsLargerThanTheDeadLetterTopicAreFittedToIt(@TempDir Path tmp) throws Exception {
        byte[] noise = new byte[300_000];
        new Random(3).nextBytes(noise);
        Files.write(tmp.resolve("noise.avi"), noise);
        byte[] big = new byte[600_000];
        new Random(4).nextBytes(big);
        Files.write(tmp.resolve("big.avi"), big);
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createTopics(1, List.of("it.fit.dead"), TOPIC_LIMIT);
            Run run =
                    Cli.run(
                            "ingest",
                            "--bootstrap",
                            kafka.bootstrapServers(),
                            "--topic",
                            "it.fit.clips",
                            "--dead-letter-topic",
                            "it.fit.dead",
                            "--max-file-bytes",
                            "500000",
                            tmp.toString());
            assertThat(run.out().strip())
                    .as(run.err())
                    .isEqualTo("ingested 0 clips from 0 files (2 rejected)");
            Map<String, DeadLetter> dead = new HashMap<>();
            for (DeadLetter d : read(kafka.bootstrapServers(), "it.fit.dead", 2)) {
                dead.put(
                        Path.of(java.net.URI.create(d.getSourceUri())).getFileName().toString(), d);
            }
            assertThat(dead).containsOnlyKeys("noise.avi", "big.avi");

            DeadLetter n = dead.get("noise.avi");
            assertThat(n.getReasonCode()).isEqualTo("not_video");
            assertThat(n.getOriginalBytesState()).isEqualTo(OriginalBytesState.TRUNCATED);
            assertThat(n.getOriginalSize()).isEqualTo(300_000L);
            assertThat(n.getOriginalSha256())
                    .isEqualTo(DeadLetterFitter.sha256(ByteBuffer.wrap(noise)));
            assertThat(n.getOriginalBytes().remaining()).isBetween(TOPIC_LIMIT - 2048, TOPIC_LIMIT);
            assertThat(n.getOriginalBytes())
                    .isEqualTo(ByteBuffer.wrap(noise, 0, n.getOriginalBytes().remaining()));

            DeadLetter b = dead.get("big.avi");
            assertThat(b.getReasonCode()).isEqualTo("over_size");
            assertThat(b.getOriginalBytesState()).isEqualTo(OriginalBytesState.OMITTED);
            assertThat(b.getOriginalBytes().remaining()).isZero();
            assertThat(b.getOriginalSize()).isEqualTo(600_000L);
        }
    }

    private static List<DeadLetter> read(String bootstrap, String topic, int expected) {
        List<DeadLetter> out = new ArrayList<>();
        AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            TopicPartition p = new TopicPartition(topic, 0);
            c.assign(List.of(p));
            c.seekToBeginning(List.of(p));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(r -> out.add(codec.decode(r.value())));
            }
        }
        return out;
    }
}
