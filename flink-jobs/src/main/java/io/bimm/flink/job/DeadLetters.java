package io.bimm.flink.job;

import io.bimm.schemas.AvroRecordTypeInfo;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.util.OutputTag;

/** The dead-letter side output every operator shares, and its Kafka sink. */
public final class DeadLetters {

    /** Side output of records that failed a stage. */
    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("dead-letters", AvroRecordTypeInfo.DEAD_LETTER);

    private DeadLetters() {}

    /** A dead letter for a Kafka record that failed {@code stage}. */
    public static DeadLetter of(
            KafkaRecord record, String stage, DeadLetterReason reason, String message) {
        return DeadLetter.newBuilder()
                .setTopic(record.topic)
                .setPartition(record.partition)
                .setOffset(record.offset)
                .setKey(record.key == null ? null : ByteBuffer.wrap(record.key))
                .setStage(stage)
                .setReasonCode(reason.code())
                .setMessage(message)
                .setTimestamp(Instant.now())
                .setOriginalBytes(ByteBuffer.wrap(record.value))
                .build();
    }

    /**
     * A sink writing dead letters to {@code topic}, at least once, fitted to the topic's message
     * size limit; a letter that cannot be sent is counted and logged, never fails the job ({@link
     * DeadLetterSink}).
     *
     * @param extra Kafka client properties (security settings etc.)
     */
    public static Sink<DeadLetter> sink(String bootstrap, String topic, Properties extra) {
        return new DeadLetterSink(bootstrap, topic, extra);
    }
}
