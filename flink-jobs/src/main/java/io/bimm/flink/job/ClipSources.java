package io.bimm.flink.job;

import io.bimm.schemas.Topics;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/** Kafka sources for bimm's topics, configured for clip-sized records. */
public final class ClipSources {

    private ClipSources() {}

    /**
     * A source of undecoded records from {@code topic}, starting at the group's committed offsets
     * (earliest for a new group).
     *
     * @param bounded stop at the offsets that are the latest when the job starts
     */
    public static KafkaSource<KafkaRecord> records(
            String bootstrap, String topic, String groupId, boolean bounded, Properties extra) {
        var builder =
                KafkaSource.<KafkaRecord>builder()
                        .setBootstrapServers(bootstrap)
                        .setTopics(topic)
                        .setGroupId(groupId)
                        .setStartingOffsets(
                                OffsetsInitializer.committedOffsets(
                                        org.apache.kafka.clients.consumer.OffsetResetStrategy
                                                .EARLIEST))
                        .setDeserializer(new KafkaRecordDeserializer())
                        .setProperty(
                                "max.partition.fetch.bytes",
                                Integer.toString(Topics.DEFAULT_MAX_MESSAGE_BYTES + 65536))
                        // Each reader thread keeps a direct buffer as large as one response (on
                        // temporary direct buffers: deploy/README.md); 32 MB holds two 16 MB clips.
                        .setProperty("fetch.max.bytes", Integer.toString(32 * 1024 * 1024))
                        .setProperties(extra);
        if (bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        } else {
            // New partitions (a topic scaled out) are picked up within a minute.
            builder.setProperty("partition.discovery.interval.ms", "60000");
        }
        return builder.build();
    }
}
