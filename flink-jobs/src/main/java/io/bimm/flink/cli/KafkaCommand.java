package io.bimm.flink.cli;

import io.bimm.flink.kafka.EmbeddedKafka;
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
                    + " bootstrap address."
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

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UserException("--port must be between 0 and 65535, not " + port + ".");
        }
        EmbeddedKafka kafka;
        try {
            kafka = EmbeddedKafka.start(port, dataDir, maxMessageBytes, false);
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
        System.out.println("Kafka broker (KRaft) listening at " + kafka.bootstrapServers());
        System.out.println("bootstrap=" + kafka.bootstrapServers());
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
