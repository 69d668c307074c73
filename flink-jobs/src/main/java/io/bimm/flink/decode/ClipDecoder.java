package io.bimm.flink.decode;

import io.bimm.flink.sample.SampleRandom;
import io.bimm.schemas.DeadLetterReason;
import java.util.SplittableRandom;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Decodes a clip's container bytes in memory and samples it per SPEC section 1: offset, stride, the
 * raw frame before each sampled frame, multi-scale resize (bilinear), crop and flip.
 *
 * <p>The clip is opened and demuxed once ({@link DemuxedVideo}); only frames up to the last needed
 * one are decoded, B-frames that are not needed are not decoded at all where the codec allows it,
 * and frames that are not sampled skip the pixel-format conversion ({@link FrameDecoder}). Not
 * thread safe: one instance per operator instance.
 */
public final class ClipDecoder implements AutoCloseable {
    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    }

    private final DecodeOptions options;
    private final Mat resized = new Mat();
    private final Mat cropped = new Mat();
    private final FrameDecoder frames;

    public ClipDecoder(DecodeOptions options) {
        this.options = options;
        this.frames = new FrameDecoder(options);
    }

    public DecodeOptions options() {
        return options;
    }

    /**
     * Frames decoded (sampled or not) since this decoder was created; for metrics. Frames that were
     * skipped without decoding (see {@link DecodeOptions#skipUnneeded()}) do not count.
     */
    public int framesDecoded() {
        return frames.framesDecoded();
    }

    /**
     * Decodes and samples one clip.
     *
     * @throws DecodeException with the dead-letter reason when the clip breaks a limit, is not a
     *     video, cannot be decoded or is too short under policy {@code reject}
     */
    public DecodedClip decode(byte[] data, String clipId, long runSeed, int draw)
            throws DecodeException {
        try {
            return decodeClip(data, clipId, runSeed, draw);
        } catch (DecodeException e) {
            // Every message names the clip.
            throw new DecodeException(
                    e.reason(), name(clipId) + ": " + e.getMessage(), e.getCause());
        }
    }

    private static String name(String clipId) {
        return "Clip " + clipId;
    }

    private DecodedClip decodeClip(byte[] data, String clipId, long runSeed, int draw)
            throws DecodeException {
        if (data == null || data.length == 0) {
            throw new DecodeException(DeadLetterReason.NOT_VIDEO, "Empty clip data.");
        }
        if (data.length > options.maxBytes()) {
            throw new DecodeException(
                    DeadLetterReason.OVER_SIZE,
                    data.length + " bytes, limit " + options.maxBytes() + ".");
        }
        long deadline = System.nanoTime() + options.maxDecodeTime().toNanos();
        // SPEC 1's F is the number of decoded frames. Headers are not trusted for it (Matroska
        // segments have no count, AVI headers can lie): the video packets are counted, a frame
        // each, when the clip is demuxed (once; decoding then reads the packets from memory).
        // Should the stream yield fewer frames than packets, sampling notices and counts by
        // decoding.
        try (DemuxedVideo video =
                DemuxedVideo.open(data, options, deadline, n -> checkLimits(n, deadline))) {
            SplittableRandom rnd =
                    SampleRandom.of(runSeed, clipId, draw, SampleRandom.Purpose.SAMPLING);
            DecodedClip clip = sample(video, video.packetCount(), rnd, deadline);
            if (clip == null) {
                // The container over-stated its frame count; resample with the decoded count.
                int counted = countFrames(video, deadline);
                rnd = SampleRandom.of(runSeed, clipId, draw, SampleRandom.Purpose.SAMPLING);
                clip = sample(video, counted, rnd, deadline);
                if (clip == null) {
                    throw new DecodeException(
                            DeadLetterReason.DECODE_ERROR,
                            "Frame count is not stable between two decodes.");
                }
            }
            return clip;
        }
    }

    private int countFrames(DemuxedVideo video, long deadline) throws DecodeException {
        try {
            return frames.decode(
                    video,
                    k -> false,
                    Integer.MAX_VALUE,
                    false,
                    (k, rgb, w, h, stride) -> {},
                    n -> checkLimits(n, deadline));
        } catch (FrameDecoder.SkipMismatch e) {
            throw new IllegalStateException("Not skipping, yet a skip mismatch.", e);
        }
    }

    private void checkLimits(int frames, long deadline) throws DecodeException {
        if (frames > options.maxFrames()) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "More than " + options.maxFrames() + " frames.");
        }
        if (System.nanoTime() > deadline) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Decoding took longer than " + options.maxDecodeTime() + ".");
        }
    }

    /** Samples with frame count {@code f}; null when the stream ends before a needed frame. */
    private DecodedClip sample(DemuxedVideo video, int f, SplittableRandom rnd, long deadline)
            throws DecodeException {
        int t = options.frames();
        int tau = options.stride();
        int s = options.size();
        int width = video.width();
        int height = video.height();
        if (f <= 0) {
            throw new DecodeException(DeadLetterReason.DECODE_ERROR, "No frame could be decoded.");
        }
        boolean tooShort = f < options.minFrames();
        if (tooShort && options.shortClipPolicy() == DecodeOptions.ShortClipPolicy.REJECT) {
            throw new DecodeException(
                    DeadLetterReason.TOO_SHORT,
                    "Only " + f + " frames, the window needs " + options.minFrames() + ".");
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
        boolean[] needed = new boolean[last + 1];
        for (int i = 0; i < t; i++) {
            needed[xIdx[i]] = true;
            needed[yIdx[i]] = true;
        }
        int reached;
        try (Size dsize = new Size(nw, nh);
                Rect roi = new Rect(cropX, cropY, s, s)) {
            FrameDecoder.FrameSink sink =
                    (k, rgb, w, h, stride) -> {
                        byte[] pixels = transform(rgb, w, h, stride, dsize, roi, flip, s);
                        for (int i = 0; i < t; i++) {
                            if (xIdx[i] == k) {
                                x[i] = pixels;
                            }
                            if (yIdx[i] == k) {
                                y[i] = pixels;
                            }
                        }
                    };
            FrameDecoder.LimitCheck limits = n -> checkLimits(n, deadline);
            try {
                reached =
                        frames.decode(
                                video,
                                k -> k < needed.length && needed[k],
                                last,
                                options.skipUnneeded(),
                                sink,
                                limits);
            } catch (FrameDecoder.SkipMismatch e) {
                // Not the stream skipping assumes: every frame again, as a plain decode does.
                reached =
                        frames.decode(
                                video,
                                k -> k < needed.length && needed[k],
                                last,
                                false,
                                sink,
                                limits);
            }
        } catch (FrameDecoder.SkipMismatch e) {
            throw new IllegalStateException("Not skipping, yet a skip mismatch.", e);
        }
        if (reached <= last) {
            return null;
        }
        return new DecodedClip(s, x, y, f, offset, xIdx, yIdx, c, cropX, cropY, flip, last + 1);
    }

    private byte[] transform(
            BytePointer rgb, int w, int h, int stride, Size dsize, Rect roi, boolean flip, int s) {
        // RGB24 rows with FFmpeg's row padding: the Mat gets 3 channels and the real stride
        // (narrow frames such as 48 px have rows of 144 bytes padded to 192).
        try (Mat src = new Mat(h, w, opencv_core.CV_8UC3, rgb, stride)) {
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

    @Override
    public void close() {
        frames.close();
        resized.close();
        cropped.close();
    }
}
