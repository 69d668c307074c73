package io.bimm.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroCodecTest {

    static VideoClip clip() {
        return VideoClip.newBuilder()
                .setClipId("abc-0")
                .setSourceUri("file:///v/a.mp4")
                .setSegmentIndex(0)
                .setContainer("matroska")
                .setCodec("h264")
                .setData(ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 255}))
                .setFrameRate(29.97)
                .setWidth(640)
                .setHeight(480)
                .setFrameCount(120)
                .setStartMicros(4_000_000L)
                .setDurationMicros(4_004_000L)
                .setIngestTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
                .setLabel("walk")
                .setMetadata(Map.of("k", "v"))
                .build();
    }

    @Test
    void roundTripsEveryRecordType() {
        VideoClip c = clip();
        assertThat(AvroCodec.of(VideoClip.class).decode(AvroCodec.of(VideoClip.class).encode(c)))
                .isEqualTo(c);

        ImageRecord img =
                ImageRecord.newBuilder()
                        .setId("i")
                        .setSourceUri("file:///x.jpg")
                        .setFormat("jpeg")
                        .setData(ByteBuffer.wrap(new byte[] {9}))
                        .setWidth(3)
                        .setHeight(2)
                        .setLabel(null)
                        .build();
        AvroCodec<ImageRecord> ic = AvroCodec.of(ImageRecord.class);
        assertThat(ic.decode(ic.encode(img))).isEqualTo(img);

        DeadLetter dl =
                DeadLetter.newBuilder()
                        .setTopic("bimm.clips")
                        .setPartition(2)
                        .setOffset(42L)
                        .setKey(ByteBuffer.wrap(new byte[] {7}))
                        .setStage("decode")
                        .setReasonCode(DeadLetterReason.DECODE_ERROR.code())
                        .setMessage("bad")
                        .setTimestamp(Instant.ofEpochMilli(5))
                        .setOriginalBytes(ByteBuffer.wrap(new byte[] {1, 2}))
                        .build();
        AvroCodec<DeadLetter> dc = AvroCodec.of(DeadLetter.class);
        assertThat(dc.decode(dc.encode(dl))).isEqualTo(dl);
    }

    @Test
    void encodingIsSingleObjectWithTheSchemaFingerprint() {
        byte[] bytes = AvroCodec.of(VideoClip.class).encode(clip());
        // Avro single-object encoding: marker C3 01, then the CRC-64-AVRO fingerprint (LE).
        assertThat(bytes[0] & 0xff).isEqualTo(0xC3);
        assertThat(bytes[1] & 0xff).isEqualTo(0x01);
        long fingerprint =
                ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint)
                .isEqualTo(
                        org.apache.avro.SchemaNormalization.parsingFingerprint64(
                                VideoClip.getClassSchema()));
    }

    @Test
    void readsARecordAnOlderWriterWrote() throws Exception {
        Schema old;
        try (InputStream in = getClass().getResourceAsStream("/VideoClip.v0-draft.avsc")) {
            old = new Schema.Parser().parse(in);
        }
        GenericRecord r = new GenericData.Record(old);
        r.put("clipId", "old-1");
        r.put("sourceUri", "file:///old.avi");
        r.put("segmentIndex", 3);
        r.put("container", "avi");
        r.put("codec", "mpeg4");
        r.put("data", ByteBuffer.wrap(new byte[] {5, 6}));
        r.put("frameRate", 25.0);
        r.put("width", 320);
        r.put("height", 240);
        r.put("frameCount", 100);
        r.put("durationMicros", 4_000_000L);
        r.put("ingestTimestamp", 1234L);
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old).encode(r).array();

        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        // Unknown writer schema: a clear error, not garbage.
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(AvroCodecException.class)
                .hasMessageContaining("VideoClip");
        codec.addWriterSchema(old);
        VideoClip c = codec.decode(bytes);
        assertThat(c.getClipId()).isEqualTo("old-1");
        assertThat(c.getSegmentIndex()).isEqualTo(3);
        assertThat(c.getFrameCount()).isEqualTo(100);
        assertThat(c.getStartMicros()).isZero();
        assertThat(c.getLabel()).isNull();
        assertThat(c.getMetadata()).isEmpty();
        assertThat(c.getIngestTimestamp()).isEqualTo(Instant.ofEpochMilli(1234));
    }

    @Test
    void decoderKnowsEveryShippedVersion() {
        for (Class<?> type :
                new Class<?>[] {VideoClip.class, ImageRecord.class, DeadLetter.class}) {
            var versions = SchemaHistory.versions(type.getSimpleName());
            assertThat(versions).as(type.getSimpleName()).isNotEmpty();
            SchemaStore.Cache store = new SchemaStore.Cache();
            versions.forEach(store::addSchema);
            for (Schema v : versions) {
                assertThat(
                                org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(
                                                org.apache.avro.specific.SpecificData.get()
                                                        .getSchema(type),
                                                v)
                                        .getType())
                        .isEqualTo(
                                org.apache.avro.SchemaCompatibility.SchemaCompatibilityType
                                        .COMPATIBLE);
            }
        }
    }

    @Test
    void newestShippedVersionIsTheCurrentSchema() throws Exception {
        // Changing a schema means adding the next history file (see SchemaHistory).
        for (String name : new String[] {"VideoClip", "ImageRecord", "DeadLetter"}) {
            Schema current =
                    new Schema.Parser()
                            .parse(java.nio.file.Path.of("src/main/avro", name + ".avsc").toFile());
            var versions = SchemaHistory.versions(name);
            assertThat(versions.get(versions.size() - 1)).as(name).isEqualTo(current);
        }
    }

    @Test
    void garbageIsAClearErrorInEveryAdapter() {
        byte[] garbage = {1, 2, 3, 4, 5};
        assertThatThrownBy(() -> AvroCodec.of(VideoClip.class).decode(garbage))
                .isInstanceOf(AvroCodecException.class)
                .hasMessageContaining("Cannot decode VideoClip from 5 bytes");
        assertThatThrownBy(() -> Topics.clipSerde().deserialize("bimm.clips", garbage))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("bimm.clips");
        assertThatThrownBy(
                        () -> new AvroDeserializationSchema<>(VideoClip.class).deserialize(garbage))
                .isInstanceOf(AvroCodecException.class);
        assertThat(Topics.clipSerde().deserialize("t", null)).isNull();
    }

    @Test
    void kafkaAndFlinkAdaptersAgree() throws Exception {
        VideoClip c = clip();
        byte[] viaKafka = Topics.clipSerde().serialize("bimm.clips", c);
        byte[] viaFlink = new AvroSerializationSchema<>(VideoClip.class).serialize(c);
        assertThat(viaKafka).isEqualTo(viaFlink);
        AvroDeserializationSchema<VideoClip> schema =
                new AvroDeserializationSchema<>(VideoClip.class);
        assertThat(schema.deserialize(viaKafka)).isEqualTo(c);
        assertThat(schema.getProducedType().getTypeClass()).isEqualTo(VideoClip.class);
        // Flink ships schemas inside the job graph: they must survive Java serialization.
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bos)) {
            out.writeObject(schema);
        }
        try (java.io.ObjectInputStream in =
                new java.io.ObjectInputStream(
                        new java.io.ByteArrayInputStream(bos.toByteArray()))) {
            @SuppressWarnings("unchecked")
            AvroDeserializationSchema<VideoClip> copy =
                    (AvroDeserializationSchema<VideoClip>) in.readObject();
            assertThat(copy.deserialize(viaKafka)).isEqualTo(c);
        }
    }
}
