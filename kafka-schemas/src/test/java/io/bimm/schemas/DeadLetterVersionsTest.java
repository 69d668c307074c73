package io.bimm.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/** DeadLetter v2 (size, hash, bytes state) and v1 read each other's letters. */
class DeadLetterVersionsTest {

    private final List<Schema> versions = SchemaHistory.versions("DeadLetter");
    private final Schema v1 = versions.get(0);
    private final Schema v2 = versions.get(1);

    @Test
    void compatibleBothWays() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v1, v2).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1LetterReadsAsCompleteWithUnknownSizeAndHash() throws Exception {
        GenericRecord r = new GenericData.Record(v1);
        r.put("stage", "ingest");
        r.put("reasonCode", "not_video");
        r.put("message", "a.txt: not a video");
        r.put("timestamp", 5L);
        r.put("originalBytes", ByteBuffer.wrap(new byte[] {1, 2}));
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(r).array();
        DeadLetter d = AvroCodec.of(DeadLetter.class).decode(bytes);
        assertThat(d.getReasonCode()).isEqualTo("not_video");
        assertThat(d.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2}));
        assertThat(d.getOriginalBytesState()).isEqualTo(OriginalBytesState.COMPLETE);
        assertThat(d.getOriginalSize()).isNull();
        assertThat(d.getOriginalSha256()).isNull();
    }

    @Test
    void aV1ReaderGivenTheV2SchemaReadsAV2Letter() throws Exception {
        DeadLetter d =
                DeadLetter.newBuilder()
                        .setTopic("bimm.clips")
                        .setStage("decode")
                        .setReasonCode("limit_exceeded")
                        .setMessage("too large")
                        .setTimestamp(Instant.ofEpochMilli(9))
                        .setOriginalBytes(ByteBuffer.wrap(new byte[] {7}))
                        .setOriginalSize(15_000_000L)
                        .setOriginalSha256("ab".repeat(32))
                        .setOriginalBytesState(OriginalBytesState.TRUNCATED)
                        .build();
        byte[] bytes = AvroCodec.of(DeadLetter.class).encode(d);
        // An older release knows only v1: like any single-object reader it must be taught the
        // writer's schema (AvroCodec.addWriterSchema), then resolves the new fields away.
        BinaryMessageDecoder<GenericRecord> old = new BinaryMessageDecoder<>(GenericData.get(), v1);
        old.addSchema(v2);
        GenericRecord r = old.decode(bytes);
        assertThat(r.getSchema().getFields()).hasSize(v1.getFields().size());
        assertThat(r.get("reasonCode").toString()).isEqualTo("limit_exceeded");
        assertThat(r.get("originalBytes")).isEqualTo(ByteBuffer.wrap(new byte[] {7}));
    }
}
