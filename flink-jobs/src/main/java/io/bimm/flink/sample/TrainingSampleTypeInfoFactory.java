package io.bimm.flink.sample;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/** Lets Flink's type extraction find {@link TrainingSampleTypeInfo} for {@link TrainingSample}. */
public final class TrainingSampleTypeInfoFactory extends TypeInfoFactory<TrainingSample> {
    @Override
    public TypeInformation<TrainingSample> createTypeInfo(
            Type t, Map<String, TypeInformation<?>> genericParameters) {
        return TrainingSampleTypeInfo.INSTANCE;
    }
}
