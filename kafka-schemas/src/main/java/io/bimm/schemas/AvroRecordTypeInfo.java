package io.bimm.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information of a generated Avro record, backed by {@link AvroRecordSerializer}.
 *
 * @param <T> the generated record class
 */
public final class AvroRecordTypeInfo<T extends SpecificRecordBase> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    /** Type of the dead-letter side output. */
    public static final AvroRecordTypeInfo<DeadLetter> DEAD_LETTER = forRecord(DeadLetter.class);

    /** Type of the input clips (pass it to {@code fromSource} or {@code returns}). */
    public static final AvroRecordTypeInfo<VideoClip> VIDEO_CLIP = forRecord(VideoClip.class);

    private final Class<T> type;

    private AvroRecordTypeInfo(Class<T> type) {
        this.type = type;
    }

    public static <T extends SpecificRecordBase> AvroRecordTypeInfo<T> forRecord(Class<T> type) {
        return new AvroRecordTypeInfo<>(type);
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new AvroRecordSerializer<>(type);
    }

    @Override
    public String toString() {
        return "AvroRecord<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof AvroRecordTypeInfo<?> o && o.type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj instanceof AvroRecordTypeInfo;
    }
}
