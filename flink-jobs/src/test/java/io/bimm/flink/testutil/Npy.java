package io.bimm.flink.testutil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a little-endian float32 .npy file (version 1) back: shape and values. */
public final class Npy {

    /** The shape and values of a .npy file. */
    public record Array(long[] shape, float[] values) {}

    private Npy() {}

    public static Array readFloat32(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = bb.getShort(8) & 0xFFFF;
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'")) {
            throw new IOException("Not float32: " + header);
        }
        Matcher m = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
        if (!m.find()) {
            throw new IOException("No shape: " + header);
        }
        String[] parts = m.group(1).split(",");
        int dims = 0;
        long[] shape = new long[parts.length];
        for (String p : parts) {
            if (!p.isBlank()) {
                shape[dims++] = Long.parseLong(p.trim());
            }
        }
        long[] s = java.util.Arrays.copyOf(shape, dims);
        float[] v = new float[(b.length - 10 - headerLen) / 4];
        bb.position(10 + headerLen);
        bb.asFloatBuffer().get(v);
        return new Array(s, v);
    }
}
