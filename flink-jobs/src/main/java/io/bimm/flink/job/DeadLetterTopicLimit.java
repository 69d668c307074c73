package io.bimm.flink.job;

import io.bimm.schemas.DeadLetterFitter;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a topic's effective {@code max.message.bytes}, the size every dead letter must fit. */
public final class DeadLetterTopicLimit {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterTopicLimit.class);

    private DeadLetterTopicLimit() {}

    /**
     * The topic's {@code max.message.bytes} (its own or the broker's default), or the broker
     * default of 1 MiB when the cluster does not tell within {@code timeout} (no topic yet, no
     * right to describe it).
     *
     * @param extra client properties (security settings); admin ones are used
     */
    public static int maxMessageBytes(
            String bootstrap, String topic, Properties extra, Duration timeout) {
        Properties p = new Properties();
        extra.forEach(
                (k, v) -> {
                    if (AdminClientConfig.configNames().contains(k.toString())) {
                        p.put(k, v);
                    }
                });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int ms = (int) timeout.toMillis();
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        String why;
        try (Admin admin = Admin.create(p)) {
            Config config =
                    admin.describeConfigs(List.of(resource))
                            .all()
                            .get(ms, TimeUnit.MILLISECONDS)
                            .get(resource);
            ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                int limit = Integer.parseInt(entry.value());
                LOG.info("Dead-letter topic {} takes messages up to {} bytes.", topic, limit);
                return limit;
            }
            why = "it has no " + TopicConfig.MAX_MESSAGE_BYTES_CONFIG;
        } catch (ExecutionException e) {
            why = e.getCause().toString();
        } catch (TimeoutException | RuntimeException e) {
            why = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        LOG.warn(
                "Cannot read max.message.bytes of dead-letter topic {} ({}); sizing dead letters"
                        + " for the broker default of {} bytes.",
                topic,
                why,
                DeadLetterFitter.BROKER_DEFAULT_MAX_MESSAGE_BYTES);
        return DeadLetterFitter.BROKER_DEFAULT_MAX_MESSAGE_BYTES;
    }
}
