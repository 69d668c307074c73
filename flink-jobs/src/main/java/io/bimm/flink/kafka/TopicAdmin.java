package io.bimm.flink.kafka;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    }
}
