package io.bimm.flink.testutil;

import io.bimm.flink.ingest.TestVideos;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared sample videos, ../shared/data/videos relative to the repository root. */
public final class Videos {
    private Videos() {}

    /** The sample video directory (see {@link TestVideos#dir()}: a clear error when missing). */
    public static Path dir() {
        return TestVideos.dir();
    }

    public static Path path(String name) {
        return TestVideos.file(name);
    }

    /**
     * A 5-frame MJPEG AVI whose container and JPEG headers claim 16000 x 16000 pixels (the frames
     * are 64 x 48): decoding it would allocate gigabytes, so it must be refused from the header.
     */
    public static byte[] header16k() {
        try {
            java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
            org.bytedeco.javacv.FFmpegFrameRecorder r =
                    new org.bytedeco.javacv.FFmpegFrameRecorder(bos, 64, 48, 0);
            r.setFormat("avi");
            r.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG);
            r.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P);
            r.setFrameRate(25);
            r.start();
            try (org.bytedeco.javacv.Java2DFrameConverter conv =
                    new org.bytedeco.javacv.Java2DFrameConverter()) {
                for (int i = 0; i < 5; i++) {
                    r.record(
                            conv.convert(
                                    new java.awt.image.BufferedImage(
                                            64, 48, java.awt.image.BufferedImage.TYPE_3BYTE_BGR)));
                }
            }
            r.stop();
            r.release();
            byte[] b = bos.toByteArray();
            java.nio.ByteBuffer bb =
                    java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int avih = indexOf(b, "avih");
            bb.putInt(avih + 8 + 32, 16000).putInt(avih + 8 + 36, 16000);
            int strf = indexOf(b, "strf");
            bb.putInt(strf + 8 + 4, 16000).putInt(strf + 8 + 8, 16000);
            for (int i = 0; i + 8 < b.length; i++) {
                if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xC0) { // JPEG SOF0
                    b[i + 5] = (byte) (16000 >> 8);
                    b[i + 6] = (byte) (16000 & 0xFF);
                    b[i + 7] = (byte) (16000 >> 8);
                    b[i + 8] = (byte) (16000 & 0xFF);
                }
            }
            return b;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int indexOf(byte[] b, String tag) {
        byte[] t = tag.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + t.length <= b.length; i++) {
            for (int k = 0; k < t.length; k++) {
                if (b[i + k] != t[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("No " + tag + " chunk");
    }

    public static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
