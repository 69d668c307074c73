package io.bimm.flink.kafka;

import io.bimm.schemas.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller, no ZooKeeper),
 * started in this JVM from the {@code kafka_2.13} jars.
 *
 * <p>Used by {@code bimm kafka}, the demo and every {@code *ITCase}: format the storage directory
 * once (kept across restarts), start the server, create bimm's topics. {@link #close()} stops the
 * broker and, for a temporary directory, deletes its data.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int maxMessageBytes;
    private volatile boolean closed;

    private EmbeddedKafka(
            KafkaRaftServer server,
            String bootstrap,
            Path dataDir,
            boolean deleteOnClose,
            int maxMessageBytes) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Starts a broker on free ports with a temporary data directory, deleted on close. */
    public static EmbeddedKafka startEphemeral() throws IOException {
        Path dir = Files.createTempDirectory("bimm-kafka-");
        return start(0, dir, Topics.DEFAULT_MAX_MESSAGE_BYTES, true);
    }

    /**
     * Starts a broker.
     *
     * @param port client port on localhost, 0 for a free one
     * @param dataDir log and metadata directory; formatted on first use, reused afterwards
     * @param maxMessageBytes largest record the broker and bimm's topics accept
     * @param deleteOnClose whether {@link #close()} deletes {@code dataDir}
     */
    public static EmbeddedKafka start(
            int port, Path dataDir, int maxMessageBytes, boolean deleteOnClose) throws IOException {
        int clientPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Files.createDirectories(dataDir);
        String logDir = dataDir.toAbsolutePath().toString();

        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        props.put(
                "listeners",
                "PLAINTEXT://localhost:"
                        + clientPort
                        + ",CONTROLLER://localhost:"
                        + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir);
        props.put("num.partitions", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "true");
        props.put("message.max.bytes", Integer.toString(maxMessageBytes));
        props.put("replica.fetch.max.bytes", Integer.toString(maxMessageBytes));
        props.put(
                "socket.request.max.bytes",
                Integer.toString(Math.max(maxMessageBytes * 2, 104857600)));
        KafkaConfig config = KafkaConfig.fromProps(props, false);

        if (!Files.exists(dataDir.resolve("meta.properties"))) {
            format(logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw new IOException(
                    "Kafka broker did not start on port " + clientPort + ": " + e.getMessage(), e);
        }
        EmbeddedKafka kafka =
                new EmbeddedKafka(
                        server, "localhost:" + clientPort, dataDir, deleteOnClose, maxMessageBytes);
        kafka.awaitReady();
        LOG.info("Kafka broker (KRaft) ready at {}, data in {}", kafka.bootstrap, dataDir);
        return kafka;
    }

    private static void format(String logDir) throws IOException {
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IOException("Cannot format Kafka storage in " + logDir + ": " + e, e);
        }
    }

    /** Waits until the broker answers metadata requests (the controller has elected itself). */
    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
            }
        }
        close();
        throw new IOException("Kafka broker at " + bootstrap + " did not become ready", last);
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return bootstrap;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** An admin client for this broker; the caller closes it. */
    public Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        10000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        15000));
    }

    /** Creates bimm's default topics (clips, images, dead letters), if missing. */
    public void createDefaultTopics(int partitions) throws IOException {
        createTopics(
                partitions,
                List.of(Topics.CLIPS, Topics.IMAGES, Topics.DEADLETTER),
                maxMessageBytes);
    }

    /**
     * Creates topics with a {@code max.message.bytes} large enough for clips, if missing.
     *
     * @throws IOException if the broker refuses
     */
    public void createTopics(int partitions, List<String> names, int topicMaxMessageBytes)
            throws IOException {
        try (Admin admin = admin()) {
            TopicAdmin.createTopics(admin, names, partitions, (short) 1, topicMaxMessageBytes);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Kafka broker shutdown failed: {}", e.toString());
        }
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("localhost", 0));
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.toString());
        }
    }
}
