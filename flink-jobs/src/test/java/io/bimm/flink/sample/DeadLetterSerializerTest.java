package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {
    @Test
    void roundTrip() throws Exception {
        DeadLetter d =
                DeadLetter.newBuilder()
                        .setSourceUri("clip-9")
                        .setStage("decode")
                        .setReasonCode("not_video")
                        .setMessage("nope")
                        .setTimestamp(Instant.ofEpochMilli(1234))
                        .setOriginalBytes(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                        .build();
        DataOutputSerializer out = new DataOutputSerializer(64);
        DeadLetterSerializer.INSTANCE.serialize(d, out);
        DeadLetter back =
                DeadLetterSerializer.INSTANCE.deserialize(
                        new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(d);
        assertThat(back.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(DeadLetterSerializer.INSTANCE.copy(d)).isEqualTo(d).isNotSameAs(d);
    }
}
