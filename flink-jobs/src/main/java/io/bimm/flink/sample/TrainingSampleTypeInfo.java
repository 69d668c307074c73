package io.bimm.flink.sample;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink type information of {@link TrainingSample}, backed by {@link TrainingSampleSerializer}. */
public final class TrainingSampleTypeInfo extends TypeInformation<TrainingSample> {
    private static final long serialVersionUID = 1L;

    public static final TrainingSampleTypeInfo INSTANCE = new TrainingSampleTypeInfo();

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
    public Class<TrainingSample> getTypeClass() {
        return TrainingSample.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<TrainingSample> createSerializer(SerializerConfig config) {
        return TrainingSampleSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "TrainingSample";
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof TrainingSampleTypeInfo;
    }

    @Override
    public int hashCode() {
        return TrainingSampleTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj instanceof TrainingSampleTypeInfo;
    }
}
