package io.bimm.flink.npy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes NumPy {@code .npy} files (format 1.0, C order) of uint8, bool and little-endian float32.
 */
public final class NpyWriter {
    private NpyWriter() {}

    /** uint8 array of the given shape. */
    public static void writeUint8(Path file, byte[] data, int... shape) throws IOException {
        write(file, "|u1", data, shape);
    }

    /** bool array of the given shape. */
    public static void writeBool(Path file, boolean[] data, int... shape) throws IOException {
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            b[i] = (byte) (data[i] ? 1 : 0);
        }
        write(file, "|b1", b, shape);
    }

    /** float32 array of the given shape. */
    public static void writeFloat32(Path file, float[] data, int... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        write(file, "<f4", b.array(), shape);
    }

    private static void write(Path file, String descr, byte[] payload, int[] shape)
            throws IOException {
        long n = 1;
        StringBuilder sh = new StringBuilder("(");
        for (int d : shape) {
            n *= d;
            sh.append(d).append(", ");
        }
        if (shape.length > 1) {
            sh.setLength(sh.length() - 1);
        }
        sh.append(')');
        int itemSize = descr.endsWith("4") ? 4 : 1;
        if (n * itemSize != payload.length) {
            throw new IllegalArgumentException(
                    "Shape " + sh + " does not match " + payload.length + " bytes of " + descr);
        }
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to 64, then \n.
        int total = 10 + dict.length() + 1;
        int padding = (64 - total % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            out.write(h.length & 0xFF);
            out.write((h.length >> 8) & 0xFF);
            out.write(h);
            out.write(payload);
        }
    }
}
