package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.TypeExtractor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

class TrainingSampleSerializerTest {

    /** A sample with the shapes of input size s, t frames, masks 0.75 / 0.9, random content. */
    static TrainingSample sample(int s, int t, String clipId) {
        Random r = new Random(s * 31L + t);
        int ni = (s / 16) * (s / 16);
        int mv = (int) Math.floor(0.75 * ni);
        int kv = ni - mv;
        int mdPos = (int) Math.floor(0.9 * ni);
        int md = t / 2 * mdPos;
        int kd = t / 2 * (ni - mdPos);
        return new TrainingSample(
                clipId,
                3,
                ints(r, kv),
                ints(r, mv),
                bytes(r, kv * 768),
                floats(r, mv * 32),
                bytes(r, mv * 256),
                bytes(r, mv * 768),
                ints(r, kd),
                ints(r, md),
                bytes(r, kd * 1536),
                floats(r, md * 64),
                bytes(r, md * 512),
                bytes(r, md * 1536));
    }

    private static int[] ints(Random r, int n) {
        return r.ints(n).toArray();
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static float[] floats(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = r.nextFloat();
        }
        return f;
    }

    private static byte[] serialize(TrainingSample s) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(1 << 16);
        TrainingSampleSerializer.INSTANCE.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void roundTripAndCopy() throws Exception {
        TrainingSample s = sample(112, 8, "clip-1");
        byte[] wire = serialize(s);
        TrainingSample back =
                TrainingSampleSerializer.INSTANCE.deserialize(new DataInputDeserializer(wire));
        assertThat(back).isEqualTo(s);
        TrainingSample copy = TrainingSampleSerializer.INSTANCE.copy(s);
        assertThat(copy).isEqualTo(s);
        assertThat(copy.dorsalMotion).isNotSameAs(s.dorsalMotion);
        DataOutputSerializer out = new DataOutputSerializer(1024);
        TrainingSampleSerializer.INSTANCE.copy(new DataInputDeserializer(wire), out);
        assertThat(out.getCopyOfBuffer()).isEqualTo(wire);
        // A change in any one array is seen by equals (the round trip check can fail).
        TrainingSample other = sample(112, 8, "clip-1");
        other.dorsalGabor[5] += 1f;
        assertThat(other).isNotEqualTo(s);
    }

    @Test
    void bytesPerSampleAsDocumented() throws Exception {
        String id = "x".repeat(64);
        assertThat(serialize(sample(112, 8, id))).hasSize(488_778);
        assertThat(serialize(sample(224, 16, id))).hasSize(3_703_942);
    }

    @Test
    void snapshotRestoresACompatibleSerializer() throws Exception {
        TypeSerializerSnapshot<TrainingSample> snap =
                TrainingSampleSerializer.INSTANCE.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snap);
        TypeSerializerSnapshot<TrainingSample> read =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(out.getCopyOfBuffer()),
                        getClass().getClassLoader());
        assertThat(read.restoreSerializer()).isEqualTo(TrainingSampleSerializer.INSTANCE);
        TypeSerializerSchemaCompatibility<TrainingSample> compat =
                TrainingSampleSerializer.INSTANCE
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(read);
        assertThat(compat.isCompatibleAsIs()).isTrue();
    }

    @Test
    void noKryoFallback() {
        TypeInformation<TrainingSample> info = TypeExtractor.getForClass(TrainingSample.class);
        assertThat(info).isEqualTo(TrainingSampleTypeInfo.INSTANCE);
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();
        TypeSerializer<TrainingSample> ser =
                info.createSerializer(env.getConfig().getSerializerConfig());
        assertThat(ser).isSameAs(TrainingSampleSerializer.INSTANCE);
        SerializerConfigImpl strict = new SerializerConfigImpl();
        strict.setGenericTypes(false);
        assertThat(info.createSerializer(strict)).isSameAs(TrainingSampleSerializer.INSTANCE);
        assertThat(
                        new PrepareSampleFunction(
                                        PrepOptions.of(
                                                io.bimm.flink.decode.DecodeOptions.builder()
                                                        .build(),
                                                0))
                                .getProducedType())
                .isEqualTo(info);
    }
}
