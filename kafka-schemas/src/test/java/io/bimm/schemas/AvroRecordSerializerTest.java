package io.bimm.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class AvroRecordSerializerTest {
    @Test
    void deadLetterRoundTripAndSnapshot() throws Exception {
        DeadLetter d =
                DeadLetter.newBuilder()
                        .setSourceUri("clip-9")
                        .setStage("decode")
                        .setReasonCode("not_video")
                        .setMessage("nope")
                        .setTimestamp(Instant.ofEpochMilli(1234))
                        .setOriginalBytes(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                        .build();
        SerializerConfigImpl strict = new SerializerConfigImpl();
        strict.setGenericTypes(false);
        TypeSerializer<DeadLetter> ser = AvroRecordTypeInfo.DEAD_LETTER.createSerializer(strict);
        DataOutputSerializer out = new DataOutputSerializer(64);
        ser.serialize(d, out);
        DeadLetter back = ser.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(d);
        assertThat(back.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(ser.copy(d)).isEqualTo(d).isNotSameAs(d);

        DataOutputSerializer snap = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(snap, ser.snapshotConfiguration());
        TypeSerializerSnapshot<DeadLetter> read =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(snap.getCopyOfBuffer()),
                        getClass().getClassLoader());
        assertThat(read.restoreSerializer()).isEqualTo(ser);
        assertThat(ser.snapshotConfiguration().resolveSchemaCompatibility(read).isCompatibleAsIs())
                .isTrue();
        assertThat(
                        new AvroRecordSerializer<>(VideoClip.class)
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility((TypeSerializerSnapshot) read)
                                .isIncompatible())
                .isTrue();
    }
}
