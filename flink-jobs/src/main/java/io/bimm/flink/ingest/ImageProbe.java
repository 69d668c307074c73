package io.bimm.flink.ingest;

import io.bimm.schemas.DeadLetterReason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Recognizes JPEG and PNG files by their magic bytes and reads their size from the header. */
public final class ImageProbe {

    /** Format name and pixel size of an image. */
    public record Info(String format, int width, int height) {}

    private ImageProbe() {}

    /**
     * Format and size from the header, nothing decoded.
     *
     * @throws IngestException {@code not_video} if it is not a JPEG or PNG, {@code unreadable} if
     *     its header is damaged
     */
    public static Info probe(byte[] bytes) throws IngestException {
        String format = format(bytes);
        if (format == null) {
            throw new IngestException(DeadLetterReason.NOT_VIDEO, "it is not a JPEG or PNG image");
        }
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IngestException(DeadLetterReason.NOT_VIDEO, "no reader for " + format);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new Info(format, reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new IngestException(
                    DeadLetterReason.UNREADABLE, "its " + format + " header is damaged", e);
        }
    }

    private static String format(byte[] b) {
        if (b.length > 3
                && (b[0] & 0xff) == 0xFF
                && (b[1] & 0xff) == 0xD8
                && (b[2] & 0xff) == 0xFF) {
            return "jpeg";
        }
        if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "png";
        }
        return null;
    }
}
