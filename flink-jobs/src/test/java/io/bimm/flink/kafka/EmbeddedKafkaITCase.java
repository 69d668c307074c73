package io.bimm.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaITCase {

    @Test
    void startsCreatesTopicsAndCarriesLargeRecordsAcrossRestart(@TempDir Path tmp)
            throws Exception {
        Path data = tmp.resolve("kafka");
        byte[] big = new byte[8 * 1024 * 1024];
        new Random(7).nextBytes(big);
        int port;
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(0, data, Topics.DEFAULT_MAX_MESSAGE_BYTES, false)) {
            port = Integer.parseInt(kafka.bootstrapServers().split(":")[1]);
            kafka.createDefaultTopics(2);
            try (Admin admin = kafka.admin()) {
                assertThat(admin.listTopics().names().get())
                        .contains(Topics.CLIPS, Topics.IMAGES, Topics.DEADLETTER);
                ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, Topics.CLIPS);
                ConfigEntry max =
                        admin.describeConfigs(List.of(res))
                                .all()
                                .get()
                                .get(res)
                                .get("max.message.bytes");
                assertThat(max.value())
                        .isEqualTo(Integer.toString(Topics.DEFAULT_MAX_MESSAGE_BYTES));
            }
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers(),
                                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                                    Topics.DEFAULT_MAX_MESSAGE_BYTES,
                                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                    true),
                            new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(Topics.CLIPS, "k".getBytes(), big)).get();
            }
        }
        assertThat(Files.exists(data.resolve("meta.properties"))).isTrue();

        // Same data directory, same port: the record survived the restart.
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(port, data, Topics.DEFAULT_MAX_MESSAGE_BYTES, true)) {
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(
                            Map.of(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers(),
                                    ConsumerConfig.GROUP_ID_CONFIG,
                                    "t",
                                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                    "earliest",
                                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                                    Topics.DEFAULT_MAX_MESSAGE_BYTES),
                            new ByteArrayDeserializer(),
                            new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(Topics.CLIPS));
                long deadline = System.currentTimeMillis() + 30_000;
                while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(got::add);
                }
            }
            assertThat(got).hasSize(1);
            assertThat(got.get(0).value()).isEqualTo(big);
        }
        assertThat(Files.exists(data)).isFalse();
    }
}
