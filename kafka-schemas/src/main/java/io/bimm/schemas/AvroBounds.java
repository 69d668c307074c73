package io.bimm.schemas;

import java.util.List;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data with its writer schema, without allocating, and checks every declared
 * length (strings, bytes, fixed) and item count (arrays, maps) against the bytes present.
 *
 * <p>Avro's {@code BinaryDecoder} allocates a string's or a buffer's declared length before it
 * reads it: a 19-byte record declaring a 2 GiB {@code clipId} is an {@code OutOfMemoryError}, not
 * an {@code EOFException}. Checking first makes a hostile record a clear error in time and memory
 * linear in its size. Union branches and enum symbols are checked against the schema too.
 */
final class AvroBounds {

    /** Deeper nesting than this is refused (only a recursive schema can nest without end). */
    static final int MAX_DEPTH = 64;

    private final byte[] bytes;
    private int pos;

    private AvroBounds(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.pos = offset;
    }

    /**
     * Checks that {@code bytes} from {@code offset} hold one complete datum of {@code writer}.
     *
     * @throws AvroCodecException naming the field and the declared and present sizes
     */
    static void check(Schema writer, byte[] bytes, int offset) {
        new AvroBounds(bytes, offset).walk(writer, writer.getName(), 0);
    }

    private void walk(Schema s, String where, int depth) {
        if (depth > MAX_DEPTH) {
            throw fail(where + " nests deeper than " + MAX_DEPTH + " levels");
        }
        switch (s.getType()) {
            case NULL -> {}
            case BOOLEAN -> skip(1, where);
            case INT -> readVarint(5, where);
            case LONG -> readVarint(10, where);
            case FLOAT -> skip(4, where);
            case DOUBLE -> skip(8, where);
            case STRING, BYTES -> skip(length(where), where);
            case FIXED -> skip(s.getFixedSize(), where);
            case ENUM -> index(s.getEnumSymbols().size(), where + " enum symbol");
            case UNION -> {
                List<Schema> branches = s.getTypes();
                walk(branches.get(index(branches.size(), where + " union branch")), where, depth);
            }
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    walk(f.schema(), f.name(), depth + 1);
                }
            }
            case ARRAY -> items(s.getElementType(), null, where, depth);
            case MAP -> items(s.getValueType(), Schema.create(Schema.Type.STRING), where, depth);
        }
    }

    /** Array or map blocks: a count, (a byte size if the count is negative), the items; 0 ends. */
    private void items(Schema item, Schema key, String where, int depth) {
        while (true) {
            long count = zigzag(readVarint(10, where));
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw fail(where + " declares an impossible item count");
                }
                count = -count;
                skipCheck(length(where), where); // the block's byte size: present, not skipped
            }
            // Every item takes at least one byte, except a null or an empty record: no count
            // beyond the bytes present is honest, and Avro would allocate room for it.
            if (count > remaining()) {
                throw fail(
                        where
                                + " declares "
                                + count
                                + " items, but only "
                                + remaining()
                                + " bytes remain");
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    walk(key, where + " key", depth + 1);
                }
                walk(item, where, depth + 1);
            }
        }
    }

    /** A string's or bytes' length, checked against the bytes remaining. */
    private long length(String where) {
        long n = zigzag(readVarint(10, where));
        if (n < 0) {
            throw fail(where + " declares a negative length " + n);
        }
        if (n > remaining()) {
            throw fail(where + " declares " + n + " bytes, but only " + remaining() + " remain");
        }
        return n;
    }

    private int index(int size, String where) {
        long i = zigzag(readVarint(5, where));
        if (i < 0 || i >= size) {
            throw fail(where + " index " + i + " is not one of the " + size + " the schema has");
        }
        return (int) i;
    }

    private void skip(long n, String where) {
        skipCheck(n, where);
        pos += (int) n;
    }

    private void skipCheck(long n, String where) {
        if (n > remaining()) {
            throw fail(where + " needs " + n + " bytes, but only " + remaining() + " remain");
        }
    }

    /** The raw (still zigzag-encoded) varint of at most {@code maxBytes} bytes. */
    private long readVarint(int maxBytes, String where) {
        long v = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (pos >= bytes.length) {
                throw fail(where + " ends inside a number");
            }
            int b = bytes[pos++] & 0xff;
            v |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw fail(where + " has a number longer than " + maxBytes + " bytes");
    }

    private static long zigzag(long raw) {
        return (raw >>> 1) ^ -(raw & 1);
    }

    private int remaining() {
        return bytes.length - pos;
    }

    private static AvroCodecException fail(String message) {
        return new AvroCodecException(message);
    }
}
