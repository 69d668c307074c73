package io.bimm.flink.job;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.AvroCodecException;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterReason;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The step every topic's records go through first: a Kafka record's Avro value into its record
 * type, or a dead letter of stage {@code deserialize} ({@code bad_record}); and the media bytes of
 * a decoded record as an array.
 */
public final class RecordDecoding {

    private RecordDecoding() {}

    /**
     * {@code record}'s value as a {@code T}, or null when it is not one of any shipped schema
     * version: then the {@code bad_record} dead letter has gone to {@code deadLetters} and been
     * counted in {@code counters}.
     */
    public static <T extends SpecificRecordBase> T decode(
            AvroCodec<T> codec,
            KafkaRecord record,
            DeadLetterCounters counters,
            Consumer<DeadLetter> deadLetters) {
        try {
            return codec.decode(record.value);
        } catch (AvroCodecException e) {
            counters.inc(DeadLetterReason.BAD_RECORD);
            deadLetters.accept(
                    DeadLetters.of(
                            record, "deserialize", DeadLetterReason.BAD_RECORD, e.getMessage()));
            return null;
        }
    }

    /** The remaining bytes of {@code b} (an Avro {@code bytes} field), {@code b} left as it was. */
    public static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] a = new byte[d.remaining()];
        d.get(a);
        return a;
    }
}
