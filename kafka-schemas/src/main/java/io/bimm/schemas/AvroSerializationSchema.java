package io.bimm.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializationSchema;

/**
 * Flink {@link SerializationSchema} writing Avro single-object encoding.
 *
 * @param <T> the generated record class
 */
public final class AvroSerializationSchema<T extends SpecificRecordBase>
        implements SerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final AvroCodec<T> codec;

    public AvroSerializationSchema(Class<T> type) {
        this.codec = AvroCodec.of(type);
    }

    @Override
    public byte[] serialize(T element) {
        return codec.encode(element);
    }
}
