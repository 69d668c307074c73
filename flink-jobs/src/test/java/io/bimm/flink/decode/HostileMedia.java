package io.bimm.flink.decode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Test inputs that try to make FFmpeg open something other than the bytes given, or decode frames
 * over the limits; written here, not shipped.
 */
public final class HostileMedia {
    private HostileMedia() {}

    /** An SDP session whose RTP video FFmpeg's {@code sdp} demuxer would receive on UDP. */
    public static byte[] sdp(int port) {
        return ("v=0\n"
                        + "o=- 0 0 IN IP4 127.0.0.1\n"
                        + "s=clip\n"
                        + "c=IN IP4 127.0.0.1\n"
                        + "t=0 0\n"
                        + "m=video "
                        + port
                        + " RTP/AVP 96\n"
                        + "a=rtpmap:96 H264/90000\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** An HLS playlist with one segment: {@code target} as a {@code file:} URL. */
    public static byte[] hlsPlaylist(Path target) {
        return ("#EXTM3U\n"
                        + "#EXT-X-VERSION:3\n"
                        + "#EXT-X-TARGETDURATION:30\n"
                        + "#EXT-X-MEDIA-SEQUENCE:0\n"
                        + "#EXTINF:30.0,\n"
                        + target.toAbsolutePath().toUri()
                        + "\n#EXT-X-ENDLIST\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** An ffconcat list naming {@code relative} (resolved against the list's location). */
    public static byte[] ffconcat(String relative) {
        return ("ffconcat version 1.0\nfile '" + relative + "'\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code source}'s video packets copied into Matroska (no re-encode). */
    public static byte[] remuxToMatroska(byte[] source) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FFmpegFrameGrabber g =
                new FFmpegFrameGrabber(
                        new java.io.ByteArrayInputStream(source), source.length + 1)) {
            g.start();
            for (int i = 0; i < g.getFormatContext().nb_streams(); i++) {
                g.getFormatContext().streams(i).codecpar().codec_tag(0);
            }
            try (FFmpegFrameRecorder r =
                    new FFmpegFrameRecorder(out, g.getImageWidth(), g.getImageHeight(), 0)) {
                r.setFormat("matroska");
                r.start(g.getFormatContext());
                AVPacket pkt;
                while ((pkt = g.grabPacket()) != null) {
                    if (pkt.stream_index() == g.getVideoStream()) {
                        r.recordPacket(pkt);
                    }
                }
                r.stop();
            }
        }
        return out.toByteArray();
    }

    /** {@code frames} frames of {@code w x h} as a raw H.264 Annex B stream (OpenH264). */
    public static byte[] rawH264(int w, int h, int frames) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out, w, h, 0)) {
            r.setFormat("h264");
            r.setVideoCodecName("libopenh264");
            r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            r.setFrameRate(25);
            r.setGopSize(1);
            r.start();
            for (int i = 0; i < frames; i++) {
                r.record(gradient(w, h, i));
            }
            r.stop();
        }
        return out.toByteArray();
    }

    /** {@code frames} frames of {@code w x h} as MPEG-4 Part 2 in {@code format}. */
    public static byte[] mpeg4(int w, int h, int frames, String format, Path tmp) throws Exception {
        return mpeg4(w, h, frames, format, tmp, 0);
    }

    /**
     * As {@link #mpeg4(int, int, int, String, Path)}, with seeded noise over the top {@code
     * noiseRows} rows of every frame: a file of several MB at few frames (a ramp compresses to
     * almost nothing).
     */
    public static byte[] mpeg4(int w, int h, int frames, String format, Path tmp, int noiseRows)
            throws Exception {
        Path file = tmp.resolve("v-" + w + "x" + h + "-" + noiseRows + "." + format);
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), w, h, 0)) {
            r.setFormat(format);
            r.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            r.setFrameRate(25);
            r.setVideoQuality(10);
            r.start();
            java.util.Random random = new java.util.Random(frames);
            for (int i = 0; i < frames; i++) {
                Frame f = gradient(w, h, i);
                addNoise(f, Math.min(noiseRows, h), random);
                r.record(f);
            }
            r.stop();
        }
        return Files.readAllBytes(file);
    }

    /** Random bytes over the first {@code rows} rows of {@code f}. */
    private static void addNoise(Frame f, int rows, java.util.Random random) {
        if (rows <= 0) {
            return;
        }
        java.nio.ByteBuffer b = (java.nio.ByteBuffer) f.image[0];
        byte[] row = new byte[3 * f.imageWidth];
        for (int y = 0; y < rows; y++) {
            random.nextBytes(row);
            b.position(y * f.imageStride);
            b.put(row);
        }
        b.position(0);
    }

    /** A BGR frame: a horizontal ramp shifted by {@code t}. */
    private static Frame gradient(int w, int h, int t) {
        Frame f = new Frame(w, h, Frame.DEPTH_UBYTE, 3);
        java.nio.ByteBuffer b = (java.nio.ByteBuffer) f.image[0];
        int stride = f.imageStride;
        byte[] row = new byte[stride];
        for (int x = 0; x < w; x++) {
            byte v = (byte) ((x * 255 / Math.max(1, w - 1) + 8 * t) & 0xFF);
            row[3 * x] = v;
            row[3 * x + 1] = (byte) (255 - v);
            row[3 * x + 2] = (byte) (t * 30);
        }
        for (int y = 0; y < h; y++) {
            b.position(y * stride);
            b.put(row);
        }
        b.position(0);
        return f;
    }
}
