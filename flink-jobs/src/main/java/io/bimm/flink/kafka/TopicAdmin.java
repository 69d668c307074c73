package io.bimm.flink.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates bimm's topics on any cluster, with a message size limit large enough for clips. */
public final class TopicAdmin {

    private TopicAdmin() {}

    /**
     * Creates the topics that do not exist yet; existing topics are left as they are.
     *
     * @throws IOException if the cluster refuses or does not answer
     */
    public static void createTopics(
            Admin admin, List<String> names, int partitions, short replication, int maxMessageBytes)
            throws IOException {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(
                    new NewTopic(name, partitions, replication)
                            .configs(
                                    Map.of(
                                            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                            Integer.toString(maxMessageBytes))));
        }
        var result = admin.createTopics(topics);
        for (var entry : result.values().entrySet()) {
            try {
                entry.getValue().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IOException(
                            "Cannot create topic "
                                    + entry.getKey()
                                    + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IOException("Timed out creating topic " + entry.getKey(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while creating topic " + entry.getKey(), e);
            }
        }
        awaitLeaders(admin, names);
    }

    /**
     * Waits until every partition of {@code names} has a leader. Producing to a partition that is
     * still electing one gets NOT_LEADER_OR_FOLLOWER, and an idempotent producer's retry of its
     * first batch can then be refused as out of sequence.
     */
    static void awaitLeaders(Admin admin, List<String> names) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                boolean ready =
                        admin
                                .describeTopics(names)
                                .allTopicNames()
                                .get(10, TimeUnit.SECONDS)
                                .values()
                                .stream()
                                .flatMap(d -> d.partitions().stream())
                                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (ready) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Topics " + names + " have no leader yet", e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while waiting for topic leaders", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("Topics " + names + " have no leader after 30 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while waiting for topic leaders", e);
            }
        }
    }

    /**
     * The number of partitions of {@code topic}, or empty when the topic does not exist or the
     * cluster does not answer within {@code timeoutMs}.
     *
     * @param client the job's Kafka client properties (security settings)
     */
    public static OptionalInt partitionCount(
            String bootstrap, String topic, int timeoutMs, Properties client) {
        Properties p = KafkaAccess.adminProperties(bootstrap, client, Duration.ofMillis(timeoutMs));
        try (Admin admin = Admin.create(p)) {
            return OptionalInt.of(
                    admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(timeoutMs, TimeUnit.MILLISECONDS)
                            .get(topic)
                            .partitions()
                            .size());
        } catch (ExecutionException | TimeoutException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }
}
