package io.bimm.schemas;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Makes a {@link DeadLetter} fit its topic's message size limit ({@code max.message.bytes}).
 *
 * <p>The letter first gets the size and SHA-256 of its original bytes. If its encoding then does
 * not fit, the original bytes are cut to what fits ({@link OriginalBytesState#TRUNCATED}) or left
 * out ({@link OriginalBytesState#OMITTED}); reason, stage, message, coordinates, key, size and hash
 * stay. Only if even that is too large (a limit of a few KiB, or a huge key or message) are the
 * text fields and the key cut to {@value #MAX_TEXT} characters or bytes.
 */
public final class DeadLetterFitter {

    /**
     * Room kept for Kafka's envelope of a one-record batch: 61 bytes of batch header and at most 21
     * of record overhead (lengths, deltas, attributes), rounded up; headers are not used.
     */
    public static final int ENVELOPE_BYTES = 128;

    /** The broker's default {@code message.max.bytes}: the limit when a topic's is unknown. */
    public static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

    /** Longest message, source URI or key kept when the letter fits no other way. */
    static final int MAX_TEXT = 1024;

    private final int maxMessageBytes;
    private final AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);

    /** A fitter for a topic whose {@code max.message.bytes} is {@code maxMessageBytes}. */
    public DeadLetterFitter(int maxMessageBytes) {
        if (maxMessageBytes <= ENVELOPE_BYTES) {
            throw new IllegalArgumentException(
                    "max.message.bytes " + maxMessageBytes + " leaves no room for a dead letter.");
        }
        this.maxMessageBytes = maxMessageBytes;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** A letter and its encoding, ready to send. */
    public record Fitted(DeadLetter letter, byte[] value) {}

    /**
     * A copy of {@code letter}, with the original's size and hash, whose encoding plus a key of
     * {@code keyBytes} bytes fits the limit (unless even a letter without original bytes and with
     * cut text cannot: then the smallest such letter).
     */
    public Fitted fit(DeadLetter letter, int keyBytes) {
        DeadLetter d = withOriginalDigest(letter);
        int budget = maxMessageBytes - ENVELOPE_BYTES - keyBytes;
        byte[] value = codec.encode(d);
        if (value.length <= budget) {
            return new Fitted(d, value);
        }
        ByteBuffer original = d.getOriginalBytes();
        d.setOriginalBytes(ByteBuffer.allocate(0));
        d.setOriginalBytesState(OriginalBytesState.TRUNCATED);
        // Same letter with n original bytes: fixed + varint(n) + n, fixed counting varint(0) = 1.
        long room = budget - (codec.encode(d).length - 1L);
        int n = (int) Math.min(original.remaining(), Math.max(0, room - varintBytes(room)));
        while (n > 0 && n + varintBytes(n) > room) {
            n--;
        }
        if (n > 0) {
            d.setOriginalBytes(original.duplicate().limit(original.position() + n).slice());
            return new Fitted(d, codec.encode(d));
        }
        d.setOriginalBytesState(OriginalBytesState.OMITTED);
        value = codec.encode(d);
        if (value.length <= budget) {
            return new Fitted(d, value);
        }
        d.setMessage(cut(d.getMessage()));
        d.setSourceUri(d.getSourceUri() == null ? null : cut(d.getSourceUri()));
        if (d.getKey() != null && d.getKey().remaining() > MAX_TEXT) {
            d.setKey(d.getKey().duplicate().limit(d.getKey().position() + MAX_TEXT).slice());
        }
        return new Fitted(d, codec.encode(d));
    }

    /**
     * A shallow copy of {@code letter} whose size and hash are set: from its bytes when they are
     * complete and the fields unset.
     */
    static DeadLetter withOriginalDigest(DeadLetter letter) {
        DeadLetter d = new DeadLetter();
        for (int i = 0; i < DeadLetter.getClassSchema().getFields().size(); i++) {
            d.put(i, letter.get(i));
        }
        ByteBuffer bytes = d.getOriginalBytes();
        if (d.getOriginalBytesState() == OriginalBytesState.COMPLETE && bytes != null) {
            if (d.getOriginalSize() == null) {
                d.setOriginalSize((long) bytes.remaining());
            }
            if (d.getOriginalSha256() == null) {
                d.setOriginalSha256(sha256(bytes));
            }
        }
        return d;
    }

    /** The SHA-256 of the remaining bytes of {@code bytes}, lowercase hex. */
    public static String sha256(ByteBuffer bytes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JVM has no SHA-256.", e);
        }
    }

    private static String cut(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }

    /** Bytes of the zigzag varint Avro writes for the length {@code n >= 0}. */
    static int varintBytes(long n) {
        long z = n << 1;
        int bytes = 1;
        while ((z >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }
}
