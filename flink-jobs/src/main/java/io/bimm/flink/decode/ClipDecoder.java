package io.bimm.flink.decode;

import io.bimm.flink.sample.SampleRandom;
import io.bimm.schemas.DeadLetterReason;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Decodes a clip's container bytes in memory and samples it per SPEC section 1: offset, stride, the
 * raw frame before each sampled frame, multi-scale resize (bilinear), crop and flip.
 *
 * <p>Only frames up to the last needed one are decoded; frames that are not sampled skip the
 * pixel-format conversion. Not thread safe: one instance per operator instance.
 */
public final class ClipDecoder implements AutoCloseable {
    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    }

    private final DecodeOptions options;
    private final Mat resized = new Mat();
    private final Mat cropped = new Mat();
    private int framesDecoded;

    public ClipDecoder(DecodeOptions options) {
        this.options = options;
    }

    public DecodeOptions options() {
        return options;
    }

    /** Frames decoded (sampled or not) since this decoder was created; for metrics. */
    public int framesDecoded() {
        return framesDecoded;
    }

    /**
     * Decodes and samples one clip.
     *
     * @throws DecodeException with the dead-letter reason when the clip breaks a limit, is not a
     *     video, cannot be decoded or is too short under policy {@code reject}
     */
    public DecodedClip decode(byte[] data, String clipId, long runSeed, int draw)
            throws DecodeException {
        if (data == null || data.length == 0) {
            throw new DecodeException(DeadLetterReason.NOT_VIDEO, "Empty clip data.");
        }
        if (data.length > options.maxBytes()) {
            throw new DecodeException(
                    DeadLetterReason.OVER_SIZE,
                    "Clip has " + data.length + " bytes, limit " + options.maxBytes() + ".");
        }
        long deadline = System.nanoTime() + options.maxDecodeTime().toNanos();
        int known;
        int width;
        int height;
        // The grabber opened here is reused for sampling: opening probes the stream, which
        // decodes frames, so doing it once per clip matters.
        FFmpegFrameGrabber grabber = open(data);
        width = grabber.getImageWidth();
        height = grabber.getImageHeight();
        // SPEC 1's F is the number of decoded frames. Headers are not trusted for it (Matroska
        // segments have no count, AVI headers can lie): one demux-only pass counts the video
        // packets, a frame each, at a small fraction of the cost of decoding. Should the stream
        // yield fewer frames than packets, sampling notices and counts by decoding.
        known = countPackets(grabber, deadline);
        closeQuietly(grabber);
        grabber = null;
        SplittableRandom rnd =
                SampleRandom.of(runSeed, clipId, draw, SampleRandom.Purpose.SAMPLING);
        DecodedClip clip = sample(data, grabber, known, width, height, rnd, deadline);
        if (clip == null) {
            // The container over-stated its frame count; resample with the decoded count.
            int counted = countFrames(data, deadline);
            rnd = SampleRandom.of(runSeed, clipId, draw, SampleRandom.Purpose.SAMPLING);
            clip = sample(data, null, counted, width, height, rnd, deadline);
            if (clip == null) {
                throw new DecodeException(
                        DeadLetterReason.DECODE_ERROR,
                        "Frame count is not stable between two decodes.");
            }
        }
        return clip;
    }

    private FFmpegFrameGrabber open(byte[] data) throws DecodeException {
        FFmpegFrameGrabber grabber =
                new FFmpegFrameGrabber(new ByteArrayInputStream(data), data.length + 1);
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        grabber.setVideoOption("threads", Integer.toString(options.decoderThreads()));
        try {
            grabber.start();
        } catch (FFmpegFrameGrabber.Exception | RuntimeException e) {
            closeQuietly(grabber);
            throw new DecodeException(
                    DeadLetterReason.NOT_VIDEO,
                    "FFmpeg cannot open the clip: " + e.getMessage(),
                    e);
        }
        String format = String.valueOf(grabber.getFormat());
        if (grabber.getImageWidth() <= 0
                || grabber.getImageHeight() <= 0
                || format.endsWith("_pipe")
                || format.startsWith("image2")
                || format.equals("gif")) {
            closeQuietly(grabber);
            throw new DecodeException(
                    DeadLetterReason.NOT_VIDEO,
                    "No video stream (format "
                            + format
                            + ", "
                            + grabber.getImageWidth()
                            + "x"
                            + grabber.getImageHeight()
                            + ").");
        }
        if (grabber.getImageWidth() > options.maxWidth()
                || grabber.getImageHeight() > options.maxHeight()) {
            int w = grabber.getImageWidth();
            int h = grabber.getImageHeight();
            closeQuietly(grabber);
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Frame size "
                            + w
                            + "x"
                            + h
                            + " exceeds the limit "
                            + options.maxWidth()
                            + "x"
                            + options.maxHeight()
                            + ".");
        }
        return grabber;
    }

    private int countPackets(FFmpegFrameGrabber grabber, long deadline) throws DecodeException {
        AVFormatContext ic = grabber.getFormatContext();
        int video = -1;
        for (int i = 0; i < ic.nb_streams(); i++) {
            if (ic.streams(i).codecpar().codec_type() == avutil.AVMEDIA_TYPE_VIDEO) {
                video = i; // the stream FFmpegFrameGrabber decodes: the first video stream
                break;
            }
        }
        int n = 0;
        try {
            AVPacket pkt;
            while ((pkt = grabber.grabPacket()) != null) {
                if (pkt.stream_index() == video) {
                    n++;
                    checkLimits(n, deadline);
                }
                avcodec.av_packet_unref(pkt);
            }
        } catch (FFmpegFrameGrabber.Exception e) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Demuxing failed: " + e.getMessage(), e);
        }
        return n;
    }

    private int countFrames(byte[] data, long deadline) throws DecodeException {
        int n = 0;
        FFmpegFrameGrabber grabber = open(data);
        try {
            while (grabber.grabFrame(false, true, false, false) != null) {
                n++;
                framesDecoded++;
                checkLimits(n, deadline);
            }
        } catch (FFmpegFrameGrabber.Exception e) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Decoding failed: " + e.getMessage(), e);
        } finally {
            closeQuietly(grabber);
        }
        return n;
    }

    private void checkLimits(int frames, long deadline) throws DecodeException {
        if (frames > options.maxFrames()) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Clip has more than " + options.maxFrames() + " frames.");
        }
        if (System.nanoTime() > deadline) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Decoding took longer than " + options.maxDecodeTime() + ".");
        }
    }

    /**
     * Samples with frame count {@code f} from {@code opened} (closed here) or a new grabber; null
     * when the stream ends before a needed frame.
     */
    private DecodedClip sample(
            byte[] data,
            FFmpegFrameGrabber opened,
            int f,
            int width,
            int height,
            SplittableRandom rnd,
            long deadline)
            throws DecodeException {
        FFmpegFrameGrabber grabber = opened == null ? open(data) : opened;
        try {
            return sampleFrames(grabber, f, width, height, rnd, deadline);
        } finally {
            closeQuietly(grabber);
        }
    }

    private DecodedClip sampleFrames(
            FFmpegFrameGrabber grabber,
            int f,
            int width,
            int height,
            SplittableRandom rnd,
            long deadline)
            throws DecodeException {
        int t = options.frames();
        int tau = options.stride();
        int s = options.size();
        if (f <= 0) {
            throw new DecodeException(DeadLetterReason.DECODE_ERROR, "No frame could be decoded.");
        }
        boolean tooShort = f < options.minFrames();
        if (tooShort && options.shortClipPolicy() == DecodeOptions.ShortClipPolicy.REJECT) {
            throw new DecodeException(
                    DeadLetterReason.TOO_SHORT,
                    "Clip has " + f + " frames, the window needs " + options.minFrames() + ".");
        }
        // SPEC 1: o uniform in [1, F - (T-1)*tau - 1]; o = 1 when deterministic or looping.
        int offset = 1;
        if (!options.deterministic() && !tooShort) {
            offset = 1 + rnd.nextInt(f - (t - 1) * tau - 1);
        }
        int[] xIdx = new int[t];
        int[] yIdx = new int[t];
        int last = 0;
        for (int i = 0; i < t; i++) {
            xIdx[i] = Math.floorMod(offset + i * tau, f);
            yIdx[i] = Math.floorMod(offset + i * tau - 1, f);
            last = Math.max(last, Math.max(xIdx[i], yIdx[i]));
        }
        double c = options.deterministic() ? 1.0 : DecodeOptions.SCALES[rnd.nextInt(4)];
        int shortSide = Math.min(width, height);
        double target = Math.round(s / c);
        int nw = Math.max(s, (int) Math.round(width * target / shortSide));
        int nh = Math.max(s, (int) Math.round(height * target / shortSide));
        int cropX = options.deterministic() ? (nw - s) / 2 : rnd.nextInt(nw - s + 1);
        int cropY = options.deterministic() ? (nh - s) / 2 : rnd.nextInt(nh - s + 1);
        // the draw is taken even when flips are off, so crops stay the same either way
        boolean flip = !options.deterministic() && rnd.nextBoolean() && options.flip();

        byte[][] x = new byte[t][];
        byte[][] y = new byte[t][];
        Size dsize = new Size(nw, nh);
        Rect roi = new Rect(cropX, cropY, s, s);
        try {
            for (int k = 0; k <= last; k++) {
                boolean needed = contains(xIdx, k) || contains(yIdx, k);
                Frame frame = grabber.grabFrame(false, true, needed, false);
                if (frame == null) {
                    return null;
                }
                framesDecoded++;
                checkLimits(k + 1, deadline);
                if (!needed) {
                    continue;
                }
                byte[] pixels = transform(frame, dsize, roi, flip, s);
                for (int i = 0; i < t; i++) {
                    if (xIdx[i] == k) {
                        x[i] = pixels;
                    }
                    if (yIdx[i] == k) {
                        y[i] = pixels;
                    }
                }
            }
        } catch (FFmpegFrameGrabber.Exception e) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Decoding failed: " + e.getMessage(), e);
        } finally {
            dsize.close();
            roi.close();
        }
        return new DecodedClip(s, x, y, f, offset, xIdx, yIdx, c, cropX, cropY, flip, last + 1);
    }

    private byte[] transform(Frame frame, Size dsize, Rect roi, boolean flip, int s)
            throws DecodeException {
        if (frame.image == null
                || frame.imageDepth != Frame.DEPTH_UBYTE
                || frame.imageStride < frame.imageWidth * 3) {
            throw new DecodeException(DeadLetterReason.DECODE_ERROR, "Frame is not RGB24.");
        }
        // The grabber converts to RGB24 (set in open). Its Frame.imageChannels is the row stride
        // over the width, which FFmpeg's row alignment inflates for narrow frames (48 px: 192 /
        // 48 = 4), so the Mat is made here with 3 channels and the real stride.
        try (BytePointer data = new BytePointer((ByteBuffer) frame.image[0].position(0));
                Mat src =
                        new Mat(
                                frame.imageHeight,
                                frame.imageWidth,
                                opencv_core.CV_8UC3,
                                data,
                                frame.imageStride)) {
            opencv_imgproc.resize(src, resized, dsize, 0, 0, opencv_imgproc.INTER_LINEAR);
        }
        try (Mat view = new Mat(resized, roi)) {
            if (flip) {
                opencv_core.flip(view, cropped, 1);
            } else {
                view.copyTo(cropped);
            }
        }
        byte[] out = new byte[s * s * 3];
        cropped.data().get(out);
        return out;
    }

    private static boolean contains(int[] a, int v) {
        for (int e : a) {
            if (e == v) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(FFmpegFrameGrabber g) {
        try {
            g.close();
        } catch (Exception ignored) {
            // Nothing more to release.
        }
    }

    @Override
    public void close() {
        resized.close();
        cropped.close();
    }
}
