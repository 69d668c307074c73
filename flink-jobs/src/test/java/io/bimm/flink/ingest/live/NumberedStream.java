package io.bimm.flink.ingest.live;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Test helper: a live stream of numbered frames, encoded by JavaCV's FFmpeg at real-time pace (25
 * fps, a keyframe every 12 frames) in one of the {@link Wire} formats, and the numbers read back
 * from decoded frames. Each frame shows its number in binary as 12 black or white columns of 16
 * pixels.
 */
final class NumberedStream {

    static final int WIDTH = 192;
    static final int HEIGHT = 96;
    static final int FPS = 25;
    static final int GOP = 12;
    private static final int BITS = 12;

    private NumberedStream() {}

    /** What goes on the wire: the muxer and the video codec. */
    enum Wire {
        /** MPEG-TS, MPEG-4 part 2 (TCP, UDP, SRT, a file). */
        MPEGTS("mpegts", avcodec.AV_CODEC_ID_MPEG4),
        /** MPEG-TS in RTP (payload type 33), MPEG-4 part 2. */
        RTP_MPEGTS("rtp_mpegts", avcodec.AV_CODEC_ID_MPEG4),
        /** FLV with Sorenson H.263, the codec FLV and FFmpeg's RTMP carry without a library. */
        FLV("flv", avcodec.AV_CODEC_ID_FLV1);

        final String muxer;
        final int codec;

        Wire(String muxer, int codec) {
            this.muxer = muxer;
            this.codec = codec;
        }
    }

    /** An open sender; {@link #send} writes frames, {@link #close} ends the stream. */
    static final class Sender implements AutoCloseable {
        private final FFmpegFrameRecorder recorder;
        private final Frame frame = new Frame(WIDTH, HEIGHT, Frame.DEPTH_UBYTE, 3);

        /** Opens {@code url} for MPEG-TS (blocks until a client connects, for a listening URL). */
        Sender(String url) throws Exception {
            this(url, Wire.MPEGTS, Map.of());
        }

        /**
         * Opens {@code url} for {@code wire}, with FFmpeg {@code options} for the protocol (blocks
         * until a client connects, for a listening URL).
         */
        Sender(String url, Wire wire, Map<String, String> options) throws Exception {
            recorder = new FFmpegFrameRecorder(url, WIDTH, HEIGHT, 0);
            recorder.setFormat(wire.muxer);
            recorder.setVideoCodec(wire.codec);
            options.forEach(recorder::setOption);
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(FPS);
            recorder.setGopSize(GOP);
            recorder.setVideoBitrate(1_000_000);
            // Every packet leaves at once: a stalled sender has nothing left in its buffers.
            recorder.setOption("flush_packets", "1");
            recorder.start();
        }

        /**
         * Sends frames {@code first .. first + count - 1}, one every 1/FPS s of wall-clock time.
         */
        void send(int first, int count) throws Exception {
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                draw(first + i);
                recorder.record(frame, avutil.AV_PIX_FMT_BGR24);
                long due = t0 + (i + 1) * 1_000_000_000L / FPS;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }

        private void draw(int number) {
            ByteBuffer buf = (ByteBuffer) frame.image[0];
            int stride = frame.imageStride;
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < WIDTH; x++) {
                    int bit = (number >> (BITS - 1 - x / 16)) & 1;
                    byte v = (byte) (bit == 1 ? 235 : 16);
                    int o = y * stride + x * 3;
                    buf.put(o, v).put(o + 1, v).put(o + 2, v);
                }
            }
        }

        @Override
        public void close() {
            try {
                recorder.stop();
            } catch (Exception e) {
                // the receiver may be gone already: nothing left to deliver
            }
            try {
                recorder.release();
            } catch (Exception e) {
                // as above
            }
        }
    }

    /** The frame numbers of a container's frames, in presentation order. */
    static List<Integer> numbers(byte[] container) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (FFmpegFrameGrabber g =
                new FFmpegFrameGrabber(new java.io.ByteArrayInputStream(container), 0)) {
            g.setPixelFormat(avutil.AV_PIX_FMT_BGR24);
            g.start();
            Frame f;
            while ((f = g.grabImage()) != null) {
                ByteBuffer buf = (ByteBuffer) f.image[0];
                int n = 0;
                for (int b = 0; b < BITS; b++) {
                    int v = buf.get((HEIGHT / 2) * f.imageStride + (b * 16 + 8) * 3) & 0xff;
                    n = (n << 1) | (v > 128 ? 1 : 0);
                }
                out.add(n);
            }
            g.stop();
        }
        return out;
    }
}
