package io.bimm.flink.cli;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.kafka.SaslUsers;
import io.bimm.schemas.Topics;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bimm kafka}: a single-node KRaft broker in the foreground until Ctrl-C. */
@Command(
        name = "kafka",
        mixinStandardHelpOptions = true,
        description = {
            "Run a single-node Kafka broker (KRaft mode, no ZooKeeper) in the foreground until"
                    + " Ctrl-C.",
            "Formats the data directory on first use, creates bimm's topics and prints the"
                    + " bootstrap address (with --users, the client properties too)."
        })
public final class KafkaCommand implements Callable<Integer> {

    @Option(
            names = "--port",
            defaultValue = "9092",
            description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--data-dir",
            defaultValue = "bimm-data/kafka",
            description =
                    "Log and metadata directory, kept across restarts (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Partitions of the topics it creates (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--max-message-bytes",
            defaultValue = "" + Topics.DEFAULT_MAX_MESSAGE_BYTES,
            description =
                    "Largest record the broker and the topics accept (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(
            names = "--bind-address",
            paramLabel = "ADDRESS",
            defaultValue = "127.0.0.1",
            description =
                    "Address the client listener binds to (default: ${DEFAULT-VALUE}, this machine"
                            + " only; 0.0.0.0 for every interface). The controller stays on"
                            + " 127.0.0.1.")
    String bindAddress;

    @Option(
            names = "--users",
            paramLabel = "FILE",
            description =
                    "Require SASL/PLAIN authentication on the client listener (SASL_PLAINTEXT),"
                            + " for the users of FILE: one user=password line each. The broker's"
                            + " own listeners stay unauthenticated on 127.0.0.1.")
    Path usersFile;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UserException("--port must be between 0 and 65535, not " + port + ".");
        }
        EmbeddedKafka.Builder builder =
                EmbeddedKafka.builder()
                        .optPort(port)
                        .optDataDir(dataDir, false)
                        .optMaxMessageBytes(maxMessageBytes)
                        .optBindAddress(bindAddress);
        SaslUsers users = null;
        if (usersFile != null) {
            try {
                users = SaslUsers.read(usersFile);
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new UserException(
                        "Cannot read the users file " + usersFile + ": " + BimmCli.sentence(e), e);
            }
            builder.optSaslUsers(users);
        }
        EmbeddedKafka kafka;
        try {
            kafka = builder.start();
        } catch (java.io.IOException e) {
            throw new UserException(
                    "Cannot start the Kafka broker on port "
                            + port
                            + ": "
                            + BimmCli.sentence(e)
                            + ". Is another broker using it? Try --port.",
                    e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    kafka.close();
                                    stopped.countDown();
                                },
                                "bimm-kafka-shutdown"));
        kafka.createDefaultTopics(partitions);
        System.out.println(
                "Kafka broker (KRaft) listening at "
                        + kafka.bootstrapServers()
                        + (users == null
                                ? ""
                                : " ("
                                        + SaslUsers.PROTOCOL
                                        + ", "
                                        + SaslUsers.MECHANISM
                                        + " for "
                                        + users.size()
                                        + " users of "
                                        + usersFile
                                        + ")"));
        System.out.println("bootstrap=" + kafka.bootstrapServers());
        if (users != null) {
            System.out.println(
                    "client properties (a file for --kafka-properties, readable only by its"
                            + " user; fill in one user of "
                            + usersFile
                            + "):");
            SaslUsers.clientProperties("USER", "PASSWORD")
                    .forEach((k, v) -> System.out.println("  " + k + "=" + v));
        }
        System.out.println(
                "topics: "
                        + Topics.CLIPS
                        + ", "
                        + Topics.IMAGES
                        + ", "
                        + Topics.DEADLETTER
                        + "; data in "
                        + Paths.get("").toAbsolutePath().resolve(dataDir).normalize());
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
