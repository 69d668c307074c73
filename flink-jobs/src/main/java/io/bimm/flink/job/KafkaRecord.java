package io.bimm.flink.job;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as received, before its value is decoded: decoding happens in an operator, so a
 * bad value becomes a dead letter (with these coordinates and bytes) instead of failing the source.
 * A Flink POJO.
 */
public class KafkaRecord {

    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;

    public KafkaRecord() {}

    public KafkaRecord(
            String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KafkaRecord r)) {
            return false;
        }
        return partition == r.partition
                && offset == r.offset
                && timestamp == r.timestamp
                && Objects.equals(topic, r.topic)
                && Arrays.equals(key, r.key)
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
