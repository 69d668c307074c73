package io.bimm.flink.npy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyWriterTest {
    @TempDir Path dir;

    /** Header text of a .npy v1.0 file, after checking magic, version and alignment. */
    private static String header(byte[] f) {
        assertThat(f[0] & 0xFF).isEqualTo(0x93);
        assertThat(new String(f, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        assertThat(f[6]).isEqualTo((byte) 1);
        assertThat(f[7]).isEqualTo((byte) 0);
        int len = (f[8] & 0xFF) | (f[9] & 0xFF) << 8;
        assertThat((10 + len) % 64).isZero();
        assertThat(f[10 + len - 1]).isEqualTo((byte) '\n');
        return new String(f, 10, len, StandardCharsets.US_ASCII).trim();
    }

    @Test
    void float32LittleEndianWithShape() throws Exception {
        Path p = dir.resolve("a.npy");
        NpyWriter.writeFloat32(p, new float[] {1.5f, -2f, 0f, 3.25f, 7f, 8f}, 2, 3);
        byte[] f = Files.readAllBytes(p);
        String h = header(f);
        assertThat(h).isEqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }");
        ByteBuffer b = ByteBuffer.wrap(f, f.length - 24, 24).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getFloat()).isEqualTo(1.5f);
        assertThat(b.getFloat()).isEqualTo(-2f);
    }

    @Test
    void uint8AndBool() throws Exception {
        Path p = dir.resolve("b.npy");
        NpyWriter.writeBool(p, new boolean[] {true, false, true}, 3);
        byte[] f = Files.readAllBytes(p);
        assertThat(header(f)).contains("'descr': '|b1'").contains("'shape': (3, )");
        assertThat(java.util.Arrays.copyOfRange(f, f.length - 3, f.length))
                .containsExactly(1, 0, 1);
        assertThatThrownBy(() -> NpyWriter.writeUint8(dir.resolve("c.npy"), new byte[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
