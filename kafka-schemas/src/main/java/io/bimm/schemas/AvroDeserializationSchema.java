package io.bimm.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Flink {@link DeserializationSchema} reading Avro single-object encoding of any shipped schema
 * version. Throws {@link AvroCodecException} on bytes it cannot read; jobs that must not fail on
 * bad input wrap the raw bytes instead and decode in an operator with a dead-letter side output.
 *
 * @param <T> the generated record class
 */
public final class AvroDeserializationSchema<T extends SpecificRecordBase>
        implements DeserializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final AvroCodec<T> codec;

    public AvroDeserializationSchema(Class<T> type) {
        this.codec = AvroCodec.of(type);
    }

    @Override
    public T deserialize(byte[] message) {
        return codec.decode(message);
    }

    @Override
    public boolean isEndOfStream(T nextElement) {
        return false;
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return AvroRecordTypeInfo.forRecord(codec.type());
    }
}
