package io.bimm.schemas;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Avro single-object encoding (two marker bytes, the 8-byte schema fingerprint, then the binary
 * body) for one generated record class.
 *
 * <p>The decoder knows every shipped version of the schema ({@link SchemaHistory}), so a record
 * written by any earlier release is resolved to the current class. Instances are cheap to copy and
 * serializable (Flink ships them inside its schemas); the Avro coders are built lazily.
 *
 * <p>Bytes to decode are untrusted: before Avro reads them, every length and item count they
 * declare is checked against the bytes present ({@link AvroBounds}), so a short record that
 * declares a huge string is a clear {@link AvroCodecException}, never a huge allocation.
 *
 * @param <T> the generated record class
 */
public final class AvroCodec<T extends SpecificRecordBase> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Single-object encoding: marker {@code C3 01}, then the 8-byte fingerprint (LE). */
    private static final int HEADER_BYTES = 10;

    private final Class<T> type;
    private transient Schema schema;
    private transient BinaryMessageEncoder<T> encoder;
    private transient BinaryMessageDecoder<T> decoder;
    private transient Map<Long, Schema> writers;

    private AvroCodec(Class<T> type) {
        this.type = type;
    }

    /** A codec for the generated record class {@code type}. */
    public static <T extends SpecificRecordBase> AvroCodec<T> of(Class<T> type) {
        return new AvroCodec<>(type);
    }

    public Class<T> type() {
        return type;
    }

    /** The current (reader) schema. */
    public Schema schema() {
        if (schema == null) {
            schema = SpecificData.get().getSchema(type);
        }
        return schema;
    }

    /** Encodes {@code record} with its schema fingerprint in the header. */
    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder().encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new AvroCodecException("Cannot encode " + type.getSimpleName(), e);
        }
    }

    /**
     * Decodes single-object encoded bytes written with any shipped version of the schema.
     *
     * @throws AvroCodecException if the bytes are not a single-object encoded record of a known
     *     version of this schema
     */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            throw new AvroCodecException("Cannot decode " + type.getSimpleName() + ": no bytes");
        }
        try {
            AvroBounds.check(writerSchema(bytes), bytes, HEADER_BYTES);
            return decoder().decode(bytes);
        } catch (IOException | RuntimeException e) {
            throw new AvroCodecException(
                    "Cannot decode "
                            + type.getSimpleName()
                            + " from "
                            + bytes.length
                            + " bytes: "
                            + e.getMessage(),
                    e);
        }
    }

    /** The writer schema the header's fingerprint names. */
    private Schema writerSchema(byte[] bytes) {
        if (bytes.length < HEADER_BYTES || (bytes[0] & 0xff) != 0xC3 || (bytes[1] & 0xff) != 0x01) {
            throw new AvroCodecException("not Avro single-object encoding (no C3 01 header)");
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = writers().get(fingerprint);
        if (writer == null) {
            throw new AvroCodecException(
                    "unknown schema fingerprint "
                            + Long.toHexString(fingerprint)
                            + ", not a shipped version of "
                            + type.getSimpleName());
        }
        return writer;
    }

    /** Teaches the decoder one more writer schema, e.g. a version another producer used. */
    public void addWriterSchema(Schema writerSchema) {
        decoder().addSchema(writerSchema);
        writers().put(SchemaNormalization.parsingFingerprint64(writerSchema), writerSchema);
    }

    private Map<Long, Schema> writers() {
        if (writers == null) {
            Map<Long, Schema> w = new HashMap<>();
            w.put(SchemaNormalization.parsingFingerprint64(schema()), schema());
            for (Schema old : SchemaHistory.versions(type.getSimpleName())) {
                w.put(SchemaNormalization.parsingFingerprint64(old), old);
            }
            writers = w;
        }
        return writers;
    }

    private BinaryMessageEncoder<T> encoder() {
        if (encoder == null) {
            encoder = new BinaryMessageEncoder<>(SpecificData.getForClass(type), schema());
        }
        return encoder;
    }

    private BinaryMessageDecoder<T> decoder() {
        if (decoder == null) {
            BinaryMessageDecoder<T> d =
                    new BinaryMessageDecoder<>(SpecificData.getForClass(type), schema());
            for (Schema old : SchemaHistory.versions(type.getSimpleName())) {
                d.addSchema(old);
            }
            decoder = d;
        }
        return decoder;
    }
}
