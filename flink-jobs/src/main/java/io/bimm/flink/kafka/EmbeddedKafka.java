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
 * broker and, for a temporary directory, deletes its data. It listens on 127.0.0.1 unless {@link
 * Builder#optBindAddress} opens its client listener, which {@link Builder#optSaslUsers} makes
 * SASL/PLAIN ({@link BrokerProperties}).
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final String internalBootstrap;
    private final String protocol;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int maxMessageBytes;
    private volatile boolean closed;

    private EmbeddedKafka(
            KafkaRaftServer server,
            String bootstrap,
            String internalBootstrap,
            String protocol,
            Path dataDir,
            boolean deleteOnClose,
            int maxMessageBytes) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.internalBootstrap = internalBootstrap;
        this.protocol = protocol;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Starts a broker on free ports with a temporary data directory, deleted on close. */
    public static EmbeddedKafka startEphemeral() throws IOException {
        return builder().start();
    }

    /**
     * Starts a broker with a PLAINTEXT client listener on 127.0.0.1.
     *
     * @param port client port on 127.0.0.1, 0 for a free one
     * @param dataDir log and metadata directory; formatted on first use, reused afterwards
     * @param maxMessageBytes largest record the broker and bimm's topics accept
     * @param deleteOnClose whether {@link #close()} deletes {@code dataDir}
     */
    public static EmbeddedKafka start(
            int port, Path dataDir, int maxMessageBytes, boolean deleteOnClose) throws IOException {
        return builder()
                .optPort(port)
                .optDataDir(dataDir, deleteOnClose)
                .optMaxMessageBytes(maxMessageBytes)
                .start();
    }

    /** A builder of a broker: by default free ports, a temporary directory, no SASL. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a broker to start. */
    public static final class Builder {
        private int port;
        private Path dataDir;
        private boolean deleteOnClose = true;
        private int maxMessageBytes = Topics.DEFAULT_MAX_MESSAGE_BYTES;
        private String bindAddress = BrokerProperties.LOOPBACK;
        private SaslUsers users;

        private Builder() {}

        /** Client port, 0 (default) for a free one. */
        public Builder optPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Log and metadata directory, formatted on first use and reused afterwards (default: a
         * temporary one, deleted on close).
         */
        public Builder optDataDir(Path dataDir, boolean deleteOnClose) {
            this.dataDir = dataDir;
            this.deleteOnClose = deleteOnClose;
            return this;
        }

        /** Largest record the broker and bimm's topics accept. */
        public Builder optMaxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        /**
         * Address the client listener binds to (default 127.0.0.1; 0.0.0.0 for every interface).
         * The controller, and with SASL the inter-broker listener, stay on 127.0.0.1.
         */
        public Builder optBindAddress(String bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** Makes the client listener SASL_PLAINTEXT with the PLAIN mechanism for these users. */
        public Builder optSaslUsers(SaslUsers users) {
            this.users = users;
            return this;
        }

        public EmbeddedKafka start() throws IOException {
            Path dir = dataDir != null ? dataDir : Files.createTempDirectory("bimm-kafka-");
            return EmbeddedKafka.start(this, dir);
        }
    }

    private static EmbeddedKafka start(Builder b, Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        String logDir = dataDir.toAbsolutePath().toString();
        BrokerProperties broker =
                BrokerProperties.of(
                        b.bindAddress,
                        b.port == 0 ? freePort() : b.port,
                        b.users,
                        b.maxMessageBytes,
                        NODE_ID,
                        logDir);
        KafkaConfig config = KafkaConfig.fromProps(broker.properties(), false);

        if (!Files.exists(dataDir.resolve("meta.properties"))) {
            format(logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw new IOException(
                    "Kafka broker did not start at " + broker.bootstrap() + ": " + e.getMessage(),
                    e);
        }
        EmbeddedKafka kafka =
                new EmbeddedKafka(
                        server,
                        broker.bootstrap(),
                        broker.internalBootstrap(),
                        broker.protocol(),
                        dataDir,
                        b.deleteOnClose,
                        b.maxMessageBytes);
        kafka.awaitReady();
        LOG.info(
                "Kafka broker (KRaft) ready at {} ({}), data in {}",
                kafka.bootstrap,
                kafka.protocol,
                dataDir);
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

    /** The security protocol of the client listener: PLAINTEXT or SASL_PLAINTEXT. */
    public String securityProtocol() {
        return protocol;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * An admin client for this broker, on its unauthenticated listener (the client listener, or
     * with SASL the inter-broker one on 127.0.0.1); the caller closes it.
     */
    public Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        internalBootstrap,
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
