package io.bimm.flink.testutil;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Still images for the image path's tests: good ones, and hostile ones, generated in memory. */
public final class TestImages {

    private TestImages() {}

    /**
     * A {@code width x height} image in {@code format} (png, jpg) whose pixel (x, y) is {@code
     * rgb.at(x, y)}.
     */
    public static byte[] image(String format, int width, int height, Pixel rgb) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, rgb.at(x, y));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("No ImageIO writer for " + format);
        }
        return out.toByteArray();
    }

    /** A solid {@code width x height} PNG of colour {@code rgb} (0xRRGGBB). */
    public static byte[] solidPng(int width, int height, int rgb) throws IOException {
        return image("png", width, height, (x, y) -> rgb);
    }

    /** A PNG with a colourful pattern, different at every pixel, to see learning. */
    public static byte[] patternPng(int width, int height, int seed) throws IOException {
        return image(
                "png",
                width,
                height,
                (x, y) ->
                        ((x * 7 + seed * 40) & 0xFF) << 16
                                | ((y * 5 + seed * 17) & 0xFF) << 8
                                | (((x + y) * 3 + seed * 90) & 0xFF));
    }

    /**
     * A PNG whose header declares {@code width x height} (with a valid CRC) followed by a few bytes
     * of data: a decoder that trusted the header would allocate {@code width * height * 3} bytes.
     */
    public static byte[] hugePngHeader(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0);
        ihdr.put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A good PNG cut after its header: the header reads, the pixel data does not decode. */
    public static byte[] truncatedPng() throws IOException {
        byte[] png = patternPng(64, 64, 1);
        return Arrays.copyOf(png, 60);
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A pixel function, 0xRRGGBB. */
    @FunctionalInterface
    public interface Pixel {
        int at(int x, int y);
    }
}
