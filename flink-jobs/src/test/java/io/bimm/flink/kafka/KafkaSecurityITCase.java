package io.bimm.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.ingest.TestVideos;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.ListeningSockets;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with a SASL/PLAIN listener from a users file, and every command that talks to
 * it: a wrong password is refused in one line without a hang; the right one, from a properties
 * file, carries {@code ingest} and the training job (its Kafka source and dead-letter producer),
 * whose dashboard listens on 127.0.0.1 only, has no jar upload, and hides the password.
 */
class KafkaSecurityITCase {

    private static final String USER = "trainer";
    private static final String PASSWORD = "pw-7f3a9c1e-do-not-show";

    @TempDir static Path dir;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        Path users = dir.resolve("users");
        Files.writeString(
                users, "# bimm kafka --users\nadmin=other-pw\n" + USER + "=" + PASSWORD + "\n");
        kafka = EmbeddedKafka.builder().optSaslUsers(SaslUsers.read(users)).start();
        kafka.createDefaultTopics(2);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Timeout(120)
    void wrongPasswordIsRefusedInOneLine() throws Exception {
        Path props = propertiesFile(dir.resolve("wrong.properties"), "not-the-password");
        String bootstrap = kafka.bootstrapServers();
        String video = TestVideos.file("box.mp4").toString();
        String refused =
                "bimm: Kafka at "
                        + bootstrap
                        + " refused the credentials (SASL authentication failed): ";

        Cli.Run ingest =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        bootstrap,
                        "--kafka-properties",
                        props.toString(),
                        video);
        assertThat(ingest.exit()).isEqualTo(1);
        assertThat(ingest.err().strip().lines().toList())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith(refused);

        Cli.Run train =
                Cli.run(
                        "train",
                        "--bootstrap",
                        bootstrap,
                        "--kafka-properties",
                        props.toString(),
                        "--checkpoint-dir",
                        dir.resolve("never").toString());
        assertThat(train.exit()).isEqualTo(1);
        assertThat(train.err().strip().lines().toList())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith(refused);
        assertThat(Files.exists(dir.resolve("never"))).isFalse();
    }

    @Test
    @Timeout(600)
    void rightPasswordIngestsAndTrainsThroughSasl(@TempDir Path tmp) throws Exception {
        Path props = propertiesFile(tmp.resolve("client.properties"), PASSWORD);
        String bootstrap = kafka.bootstrapServers();
        Properties client = new Properties();
        try (var r = Files.newBufferedReader(props)) {
            client.load(r);
        }
        // The topic check: described with the credentials, not without them.
        assertThat(TopicAdmin.partitionCount(bootstrap, Topics.CLIPS, 5000, client)).hasValue(2);
        assertThat(TopicAdmin.partitionCount(bootstrap, Topics.CLIPS, 2000, new Properties()))
                .isEmpty();

        // First in both partitions: read before the job stops at its step limit.
        produceDamaged(bootstrap, client);
        Cli.Run ingest =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        bootstrap,
                        "--kafka-properties",
                        props.toString(),
                        "--no-progress",
                        TestVideos.file("Megamind.avi").toString(),
                        TestVideos.file("cup.mp4").toString());
        assertThat(ingest.exit()).as(ingest.err()).isZero();
        Matcher m = Pattern.compile("ingested (\\d+) clips from 2 files").matcher(ingest.out());
        assertThat(m.find()).as(ingest.out()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isGreaterThanOrEqualTo(4);

        int port = freePort();
        CompletableFuture<Dashboard> dashboard =
                CompletableFuture.supplyAsync(() -> Dashboard.watch(port));
        Cli.Run train =
                Cli.run(
                        "train",
                        "--bootstrap",
                        bootstrap,
                        "--kafka-properties",
                        props.toString(),
                        "--preset",
                        "tiny",
                        "--device",
                        "cpu",
                        "--batch-size",
                        "2",
                        "--max-steps",
                        "2",
                        "--checkpoint-every",
                        "1",
                        "--checkpoint-dir",
                        tmp.resolve("ckpt").toString(),
                        "--port",
                        Integer.toString(port),
                        "--fresh",
                        "-D",
                        "train.warmup-steps=1",
                        "-D",
                        "train.flink-checkpoint-interval=2s");
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(train.out()).contains("trained 2 steps");

        // The dead-letter producer wrote through the SASL listener (the job may stop at its step
        // limit before its reader reaches the second partition's record).
        assertThat(deadLetters(bootstrap, client, 1))
                .filteredOn(d -> d.getKey() != null)
                .extracting(d -> StandardCharsets.UTF_8.decode(d.getKey()).toString())
                .contains("noise");

        Dashboard seen = dashboard.get();
        assertThat(seen.addresses()).containsExactly(InetAddress.getByName("127.0.0.1"));
        assertThat(seen.jarsStatus()).isEqualTo(404);
        // Nor anything else of the job's cluster or of the broker.
        assertThat(seen.listening()).allMatch(a -> a.getAddress().isLoopbackAddress());
        assertThat(seen.configs()).contains("kafka.client.sasl.jaas.config");
        assertThat(seen.configs()).doesNotContain(PASSWORD);
    }

    private static Path propertiesFile(Path file, String password) throws Exception {
        String text =
                SaslUsers.clientProperties(USER, password).entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static void produceDamaged(String bootstrap, Properties client) throws Exception {
        byte[] noise = new byte[2000];
        new Random(11).nextBytes(noise);
        Map<String, Object> p = new HashMap<>();
        client.forEach((k, v) -> p.put(k.toString(), v));
        p.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int partition = 0; partition < 2; partition++) {
                producer.send(new ProducerRecord<>(Topics.CLIPS, partition, "noise", noise)).get();
            }
        }
    }

    private static List<DeadLetter> deadLetters(String bootstrap, Properties client, int expected) {
        Map<String, Object> p = new HashMap<>();
        client.forEach((k, v) -> p.put(k.toString(), v));
        p.put("bootstrap.servers", bootstrap);
        p.put("max.partition.fetch.bytes", Topics.DEFAULT_MAX_MESSAGE_BYTES);
        List<DeadLetter> out = new ArrayList<>();
        AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(Topics.DEADLETTER)
                    .forEach(i -> parts.add(new TopicPartition(Topics.DEADLETTER, i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(r -> out.add(codec.decode(r.value())));
            }
        }
        return out;
    }

    /** What the local dashboard showed while the job ran. */
    private record Dashboard(
            List<InetAddress> addresses,
            int jarsStatus,
            String configs,
            List<InetSocketAddress> listening) {

        /** Waits for the job, then reads its socket, jar handlers and configuration pages. */
        static Dashboard watch(int port) {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.currentTimeMillis() + 300_000;
            while (System.currentTimeMillis() < deadline) {
                try {
                    String jobs = get(http, port, "/jobs").body();
                    Matcher id = Pattern.compile("\"id\":\"([0-9a-f]{32})\"").matcher(jobs);
                    if (id.find()) {
                        String job = "/jobs/" + id.group(1);
                        String configs =
                                get(http, port, "/jobmanager/config").body()
                                        + get(http, port, job + "/jobmanager/config").body()
                                        + get(http, port, job + "/config").body();
                        return new Dashboard(
                                ListeningSockets.addresses(port),
                                get(http, port, "/jars").statusCode(),
                                configs,
                                ListeningSockets.ofThisProcess());
                    }
                } catch (Exception e) {
                    // not up yet
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            throw new IllegalStateException("No job appeared on the dashboard at port " + port);
        }

        private static HttpResponse<String> get(HttpClient http, int port, String path)
                throws Exception {
            return http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
