package io.bimm.flink.decode;

import io.bimm.flink.sample.SampleRandom;
import io.bimm.schemas.DeadLetterReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
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
    private final FrameTransform transform = new FrameTransform();
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
        return decode(data, clipId, runSeed, new int[] {draw}).get(0);
    }

    /**
     * Decodes a clip once and samples it once per draw (SPEC 1, repeated sampling): each draw has
     * its own offset, scale, crop and flip from {@code (runSeed, clipId, draw)}, all drawn before
     * decoding, which runs only to the last frame any of them needs. A sample equals what {@link
     * #decode(byte[], String, long, int)} gives for its draw alone, to the byte. Samples whose
     * geometry (scale, crop, flip) is identical share the pixel arrays of the frames they both use.
     *
     * @throws DecodeException as {@link #decode(byte[], String, long, int)}
     */
    public List<DecodedClip> decode(byte[] data, String clipId, long runSeed, int[] draws)
            throws DecodeException {
        try {
            return decodeClip(data, clipId, runSeed, draws);
        } catch (DecodeException e) {
            // Every message names the clip.
            throw new DecodeException(
                    e.reason(), name(clipId) + ": " + e.getMessage(), e.getCause());
        }
    }

    private static String name(String clipId) {
        return "Clip " + clipId;
    }

    private List<DecodedClip> decodeClip(byte[] data, String clipId, long runSeed, int[] draws)
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
            List<DecodedClip> clips =
                    sample(video, video.packetCount(), draws(runSeed, clipId, draws), deadline);
            if (clips == null) {
                // The container over-stated its frame count; resample with the decoded count.
                int counted = countFrames(video, deadline);
                clips = sample(video, counted, draws(runSeed, clipId, draws), deadline);
                if (clips == null) {
                    throw new DecodeException(
                            DeadLetterReason.DECODE_ERROR,
                            "Frame count is not stable between two decodes.");
                }
            }
            return clips;
        }
    }

    private static SplittableRandom[] draws(long runSeed, String clipId, int[] draws) {
        SplittableRandom[] r = new SplittableRandom[draws.length];
        for (int i = 0; i < draws.length; i++) {
            r[i] = SampleRandom.of(runSeed, clipId, draws[i], SampleRandom.Purpose.SAMPLING);
        }
        return r;
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
    private List<DecodedClip> sample(
            DemuxedVideo video, int f, SplittableRandom[] rnd, long deadline)
            throws DecodeException {
        int t = options.frames();
        int s = options.size();
        if (f <= 0) {
            throw new DecodeException(DeadLetterReason.DECODE_ERROR, "No frame could be decoded.");
        }
        boolean tooShort = f < options.minFrames();
        if (tooShort && options.shortClipPolicy() == DecodeOptions.ShortClipPolicy.REJECT) {
            throw new DecodeException(
                    DeadLetterReason.TOO_SHORT,
                    "Only " + f + " frames, the window needs " + options.minFrames() + ".");
        }
        int r = rnd.length;
        Window[] win = new Window[r];
        int last = 0;
        for (int j = 0; j < r; j++) {
            win[j] = Window.draw(options, f, tooShort, video.width(), video.height(), rnd[j]);
            last = Math.max(last, win[j].last());
        }
        // geometry[j]: the first sample with sample j's geometry, whose transform j reuses
        int[] geometry = new int[r];
        for (int j = 0; j < r; j++) {
            geometry[j] = j;
            for (int i = 0; i < j; i++) {
                if (win[i].sameGeometry(win[j])) {
                    geometry[j] = i;
                    break;
                }
            }
        }
        byte[][][] x = new byte[r][t][];
        byte[][][] y = new byte[r][t][];
        boolean[] needed = new boolean[last + 1];
        for (Window w : win) {
            for (int i = 0; i < t; i++) {
                needed[w.xIdx()[i]] = true;
                needed[w.yIdx()[i]] = true;
            }
        }
        byte[][] made = new byte[r][];
        Size[] dsize = new Size[r];
        Rect[] roi = new Rect[r];
        int reached;
        try {
            for (int j = 0; j < r; j++) {
                dsize[j] = new Size(win[j].width(), win[j].height());
                roi[j] = new Rect(win[j].cropX(), win[j].cropY(), s, s);
            }
            FrameDecoder.FrameSink sink =
                    (k, rgb, w, h, stride) -> {
                        Arrays.fill(made, null);
                        for (int j = 0; j < r; j++) {
                            Window wj = win[j];
                            if (k > wj.last()) {
                                continue;
                            }
                            for (int i = 0; i < t; i++) {
                                if (wj.xIdx()[i] != k && wj.yIdx()[i] != k) {
                                    continue;
                                }
                                int g = geometry[j];
                                if (made[g] == null) {
                                    made[g] =
                                            transform(
                                                    rgb,
                                                    w,
                                                    h,
                                                    stride,
                                                    dsize[g],
                                                    roi[g],
                                                    win[g].flip());
                                }
                                if (wj.xIdx()[i] == k) {
                                    x[j][i] = made[g];
                                }
                                if (wj.yIdx()[i] == k) {
                                    y[j][i] = made[g];
                                }
                            }
                        }
                    };
            FrameDecoder.LimitCheck limits = n -> checkLimits(n, deadline);
            int lastNeeded = last;
            try {
                reached =
                        frames.decode(
                                video,
                                k -> k < needed.length && needed[k],
                                lastNeeded,
                                options.skipUnneeded(),
                                sink,
                                limits);
            } catch (FrameDecoder.SkipMismatch e) {
                // Not the stream skipping assumes: every frame again, as a plain decode does.
                reached =
                        frames.decode(
                                video,
                                k -> k < needed.length && needed[k],
                                lastNeeded,
                                false,
                                sink,
                                limits);
            }
        } catch (FrameDecoder.SkipMismatch e) {
            throw new IllegalStateException("Not skipping, yet a skip mismatch.", e);
        } finally {
            for (int j = 0; j < r; j++) {
                if (dsize[j] != null) {
                    dsize[j].close();
                }
                if (roi[j] != null) {
                    roi[j].close();
                }
            }
        }
        if (reached <= last) {
            return null;
        }
        List<DecodedClip> out = new ArrayList<>(r);
        for (int j = 0; j < r; j++) {
            Window w = win[j];
            out.add(
                    new DecodedClip(
                            s,
                            x[j],
                            y[j],
                            f,
                            w.offset(),
                            w.xIdx(),
                            w.yIdx(),
                            w.scale(),
                            w.cropX(),
                            w.cropY(),
                            w.flip(),
                            w.last() + 1));
        }
        return out;
    }

    private byte[] transform(
            BytePointer rgb, int w, int h, int stride, Size dsize, Rect roi, boolean flip) {
        // RGB24 rows with FFmpeg's row padding: the Mat gets 3 channels and the real stride
        // (narrow frames such as 48 px have rows of 144 bytes padded to 192).
        try (Mat src = new Mat(h, w, opencv_core.CV_8UC3, rgb, stride)) {
            return transform.apply(src, dsize, roi, flip);
        }
    }

    @Override
    public void close() {
        frames.close();
        transform.close();
    }
}
