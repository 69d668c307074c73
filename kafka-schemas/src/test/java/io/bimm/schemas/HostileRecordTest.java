package io.bimm.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/**
 * Records whose declared lengths lie about the bytes present: each is a clear {@link
 * AvroCodecException} and allocates about nothing, whatever it declares.
 */
class HostileRecordTest {

    /** Just under Avro's own string limit (Integer.MAX_VALUE - 8): Avro would allocate it. */
    private static final long TWO_GIB = Integer.MAX_VALUE - 9L;

    private final AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);

    @Test
    void nineteenBytesDeclaringATwoGibClipIdAllocateNothing() {
        Body b = new Body().varlong(TWO_GIB).raw("abcd");
        byte[] record = b.record();
        assertThat(record).hasSize(19);
        assertRejectedWithoutAllocating(record, "clipId declares 2147483638 bytes, but only 4");
    }

    @Test
    void aBytesFieldDeclaringMoreThanPresent() {
        byte[] record =
                new Body()
                        .string("a")
                        .string("b")
                        .varlong(0)
                        .string("mp4")
                        .string("h264")
                        .varlong(1L << 30)
                        .raw("xyz")
                        .record();
        assertRejectedWithoutAllocating(record, "data declares 1073741824 bytes, but only 3");
    }

    @Test
    void aMapDeclaringMoreEntriesThanBytes() {
        byte[] record =
                validPrefixUpToMetadata().varlong(1L << 30).string("k").string("v").record();
        assertRejectedWithoutAllocating(record, "metadata declares 1073741824 items");
    }

    @Test
    void aUnionBranchOutOfRangeAndATruncatedNumber() {
        byte[] badUnion = prefixUpToFrameCount().varlong(7).record();
        assertThatThrownBy(() -> codec.decode(badUnion))
                .isInstanceOf(AvroCodecException.class)
                .hasMessageContaining("frameCount union branch index 7");
        byte[] cut = new Body().string("a").string("b").rawBytes(new byte[] {(byte) 0x80}).record();
        assertThatThrownBy(() -> codec.decode(cut))
                .isInstanceOf(AvroCodecException.class)
                .hasMessageContaining("segmentIndex ends inside a number");
    }

    @Test
    void anHonestRecordStillDecodes() {
        VideoClip clip = AvroCodecTest.clip();
        assertThat(codec.decode(codec.encode(clip))).isEqualTo(clip);
        byte[] honest =
                validPrefixUpToMetadata().varlong(1).string("k").string("v").varlong(0).record();
        assertThat(codec.decode(honest).getMetadata()).containsEntry("k", "v");
    }

    @Test
    void aShortOrForeignHeaderIsABadRecord() {
        assertThatThrownBy(() -> codec.decode(new byte[] {(byte) 0xC3, 1, 0}))
                .isInstanceOf(AvroCodecException.class)
                .hasMessageContaining("no C3 01 header");
    }

    private void assertRejectedWithoutAllocating(byte[] record, String detail) {
        codec.decode(codec.encode(AvroCodecTest.clip())); // coders built outside the measure
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        Throwable thrown = catchThrowable(() -> codec.decode(record));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated to reject the record").isLessThan(1 << 20);
        assertThat(thrown)
                .isInstanceOf(AvroCodecException.class)
                .hasMessageStartingWith("Cannot decode VideoClip from " + record.length + " bytes")
                .hasMessageContaining(detail);
    }

    private static Body prefixUpToFrameCount() {
        return new Body()
                .string("a")
                .string("b")
                .varlong(0)
                .string("mp4")
                .string("h264")
                .string("")
                .rawBytes(new byte[8])
                .varlong(2)
                .varlong(2);
    }

    private static Body validPrefixUpToMetadata() {
        return prefixUpToFrameCount()
                .varlong(0) // frameCount: null
                .varlong(0)
                .varlong(1)
                .varlong(5)
                .varlong(0); // label: null
    }

    /** A VideoClip body written by hand, zigzag varints included, behind the v1 header. */
    private static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body varlong(long n) {
            long z = (n << 1) ^ (n >> 63);
            while ((z & ~0x7fL) != 0) {
                out.write((int) ((z & 0x7f) | 0x80));
                z >>>= 7;
            }
            out.write((int) z);
            return this;
        }

        Body string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return varlong(b.length).rawBytes(b);
        }

        Body raw(String s) {
            return rawBytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Body rawBytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        byte[] record() {
            ByteBuffer header = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            header.put((byte) 0xC3).put((byte) 0x01);
            header.putLong(SchemaNormalization.parsingFingerprint64(VideoClip.getClassSchema()));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(header.array());
            all.writeBytes(out.toByteArray());
            return all.toByteArray();
        }
    }
}
