package io.bimm.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

class DeadLetterFitterTest {

    private static final int LIMIT = 1 << 20;
    private static final byte[] KEY = {1, 2, 3, 4, 5, 6, 7};

    private final AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
    private final DeadLetterFitter fitter = new DeadLetterFitter(LIMIT);

    static DeadLetter letter(byte[] original) {
        return DeadLetter.newBuilder()
                .setTopic("bimm.clips")
                .setPartition(3)
                .setOffset(77L)
                .setKey(ByteBuffer.wrap(KEY))
                .setSourceUri("clip-1")
                .setStage("decode")
                .setReasonCode(DeadLetterReason.LIMIT_EXCEEDED.code())
                .setMessage("4000x4000 is over the limit")
                .setTimestamp(Instant.ofEpochMilli(1234))
                .setOriginalBytes(ByteBuffer.wrap(original))
                .build();
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** The Kafka producer's own bound of a one-record batch (checked against max.request.size). */
    static int kafkaBatchUpperBound(byte[] key, byte[] value) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, key, value, new Header[0]);
    }

    @Test
    void aLetterThatFitsIsCompleteWithSizeAndHash() {
        byte[] original = random(1000);
        DeadLetterFitter.Fitted f = fitter.fit(letter(original), 0);
        assertThat(f.letter().getOriginalBytesState()).isEqualTo(OriginalBytesState.COMPLETE);
        assertThat(f.letter().getOriginalBytes()).isEqualTo(ByteBuffer.wrap(original));
        assertThat(f.letter().getOriginalSize()).isEqualTo(1000L);
        assertThat(f.letter().getOriginalSha256())
                .isEqualTo(java.util.HexFormat.of().formatHex(sha256(original)));
        assertThat(codec.decode(f.value())).isEqualTo(f.letter());
    }

    @Test
    void atTheBoundaryTheLastByteThatFitsStaysAndOneMoreTruncates() {
        int budget = LIMIT - DeadLetterFitter.ENVELOPE_BYTES - KEY.length;
        int overhead = fitter.fit(letter(new byte[0]), KEY.length).value().length;
        // Find the largest original whose complete letter fits (size and length varints grow).
        int n = budget - overhead - 16;
        while (fitter.fit(letter(random(n + 1)), KEY.length).letter().getOriginalBytesState()
                == OriginalBytesState.COMPLETE) {
            n++;
        }
        byte[] fits = random(n);
        DeadLetterFitter.Fitted whole = fitter.fit(letter(fits), KEY.length);
        assertThat(whole.letter().getOriginalBytesState()).isEqualTo(OriginalBytesState.COMPLETE);
        assertThat(whole.value().length).isBetween(budget - 1, budget);
        assertThat(kafkaBatchUpperBound(KEY, whole.value())).isLessThanOrEqualTo(LIMIT);

        byte[] over = random(n + 1);
        DeadLetterFitter.Fitted cut = fitter.fit(letter(over), KEY.length);
        DeadLetter d = cut.letter();
        assertThat(d.getOriginalBytesState()).isEqualTo(OriginalBytesState.TRUNCATED);
        assertThat(cut.value().length).isBetween(budget - 2, budget);
        assertThat(kafkaBatchUpperBound(KEY, cut.value())).isLessThanOrEqualTo(LIMIT);
        assertThat(d.getOriginalSize()).isEqualTo(n + 1L);
        assertThat(d.getOriginalSha256())
                .isEqualTo(java.util.HexFormat.of().formatHex(sha256(over)));
        byte[] kept = new byte[d.getOriginalBytes().remaining()];
        d.getOriginalBytes().duplicate().get(kept);
        assertThat(kept).isEqualTo(java.util.Arrays.copyOf(over, kept.length));
        assertThat(codec.decode(cut.value())).isEqualTo(d);
    }

    @Test
    void aFifteenMegabyteClipIsTruncatedToTheLimitKeepingEverythingElse() {
        byte[] clip = random(15_000_000);
        DeadLetterFitter.Fitted f = fitter.fit(letter(clip), 0);
        DeadLetter d = codec.decode(f.value());
        assertThat(kafkaBatchUpperBound(null, f.value())).isLessThanOrEqualTo(LIMIT);
        assertThat(d.getOriginalBytesState()).isEqualTo(OriginalBytesState.TRUNCATED);
        assertThat(d.getOriginalBytes().remaining()).isGreaterThan(LIMIT - 1024);
        assertThat(d.getOriginalSize()).isEqualTo(15_000_000L);
        assertThat(d.getReasonCode()).isEqualTo("limit_exceeded");
        assertThat(d.getTopic()).isEqualTo("bimm.clips");
        assertThat(d.getPartition()).isEqualTo(3);
        assertThat(d.getOffset()).isEqualTo(77L);
        assertThat(d.getKey()).isEqualTo(ByteBuffer.wrap(KEY));
        assertThat(d.getMessage()).isEqualTo("4000x4000 is over the limit");
    }

    @Test
    void withNoRoomForOriginalBytesTheyAreOmittedAndHugeTextIsCut() {
        DeadLetterFitter tiny = new DeadLetterFitter(DeadLetterFitter.ENVELOPE_BYTES + 200);
        DeadLetter l = letter(random(5000));
        DeadLetterFitter.Fitted f = tiny.fit(l, 0);
        assertThat(f.letter().getOriginalBytesState()).isIn(OriginalBytesState.TRUNCATED);
        assertThat(f.value().length).isLessThanOrEqualTo(200);

        DeadLetterFitter small = new DeadLetterFitter(DeadLetterFitter.ENVELOPE_BYTES + 2000);
        l.setMessage("x".repeat(100_000));
        DeadLetter d = small.fit(l, 0).letter();
        assertThat(d.getOriginalBytesState()).isEqualTo(OriginalBytesState.OMITTED);
        assertThat(d.getOriginalBytes().remaining()).isZero();
        assertThat(d.getMessage()).hasSize(DeadLetterFitter.MAX_TEXT);
        assertThat(d.getOriginalSize()).isEqualTo(5000L);
        assertThat(small.fit(l, 0).value().length).isLessThanOrEqualTo(2000);
        // The caller's letter is not changed.
        assertThat(l.getOriginalBytes().remaining()).isEqualTo(5000);
        assertThat(l.getOriginalBytesState()).isEqualTo(OriginalBytesState.COMPLETE);
    }

    @Test
    void aLetterAlreadyOmittedKeepsItsDeclaredSize() {
        DeadLetter l = letter(new byte[0]);
        l.setOriginalBytesState(OriginalBytesState.OMITTED);
        l.setOriginalSize(3_000_000_000L);
        DeadLetter d = fitter.fit(l, 0).letter();
        assertThat(d.getOriginalSize()).isEqualTo(3_000_000_000L);
        assertThat(d.getOriginalSha256()).isNull();
        assertThat(d.getOriginalBytesState()).isEqualTo(OriginalBytesState.OMITTED);
    }

    private static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
