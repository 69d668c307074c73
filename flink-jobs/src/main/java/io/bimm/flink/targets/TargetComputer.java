package io.bimm.flink.targets;

import io.bimm.flink.decode.DecodedClip;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Computes the progressive targets of SPEC section 2 for every sampled frame of a clip: gray, Gabor
 * energy cells, contours and motion. Buffers are reused; not thread safe.
 */
public final class TargetComputer implements AutoCloseable {
    private final int size;
    private final GaborEnergy gabor;
    private final ContourExtractor contour;
    private final Mat rgbMat;
    private final Mat rgbFloat = new Mat();
    private final Mat grayFloatMat = new Mat();
    private final Mat grayMat = new Mat();
    private final Mat previousMat;
    private final Mat motionMat = new Mat();
    private long shared;

    public TargetComputer(int size) {
        this(size, new CannyContour());
    }

    public TargetComputer(int size, ContourExtractor contour) {
        this.size = size;
        this.gabor = new GaborEnergy(size);
        this.contour = contour;
        this.rgbMat = new Mat(size, size, opencv_core.CV_8UC3);
        this.previousMat = new Mat(size, size, opencv_core.CV_8UC3);
    }

    /**
     * Targets of all sampled frames of a clip. Per frame the RGB bytes go into a Mat once; gray
     * (float and 8-bit), Gabor, Canny and motion then run in OpenCV on it.
     */
    public ClipTargets compute(DecodedClip clip) {
        return compute(List.of(clip)).get(0);
    }

    /**
     * Targets of the samples of one record (repeated sampling, SPEC 1). A frame's Gabor cells and
     * contour are a function of its cropped pixels only, and its motion of those and of the frame
     * before it: where two samples hold the same pixel array (the decoder shares them between
     * samples of identical geometry, see {@code ClipDecoder}), they are computed once and copied.
     */
    public List<ClipTargets> compute(List<DecodedClip> clips) {
        int px = size * size;
        int cells = gabor.cells() * gabor.cells() * GaborBank.FILTERS;
        List<ClipTargets> out = new ArrayList<>(clips.size());
        // first (target, frame) computed from a pixel array
        Map<byte[], int[]> done = new IdentityHashMap<>();
        for (DecodedClip clip : clips) {
            int t = clip.frames();
            ClipTargets tg =
                    new ClipTargets(
                            t, size, new float[t * cells], new byte[t * px], new byte[t * px * 3]);
            for (int i = 0; i < t; i++) {
                int[] seen = done.get(clip.x()[i]);
                if (seen == null) {
                    frame(clip.x()[i], clip.y()[i], tg, i);
                    done.put(clip.x()[i], new int[] {out.size(), i});
                    continue;
                }
                ClipTargets from = seen[0] == out.size() ? tg : out.get(seen[0]);
                DecodedClip fromClip = clips.get(seen[0]);
                int f = seen[1];
                System.arraycopy(from.gabor(), f * cells, tg.gabor(), i * cells, cells);
                System.arraycopy(from.contour(), f * px, tg.contour(), i * px, px);
                if (fromClip.y()[f] == clip.y()[i]) {
                    System.arraycopy(from.motion(), f * px * 3, tg.motion(), i * px * 3, px * 3);
                } else {
                    put(clip.x()[i], rgbMat);
                    motion(clip.y()[i], tg, i);
                }
                shared++;
            }
            out.add(tg);
        }
        return out;
    }

    /** Frames whose targets were copied from another sample's identical frame (for benchmarks). */
    public long sharedFrames() {
        return shared;
    }

    private void frame(byte[] x, byte[] y, ClipTargets tg, int i) {
        int px = size * size;
        int cells = gabor.cells() * gabor.cells() * GaborBank.FILTERS;
        put(x, rgbMat);
        // SPEC 2 gray: RGB2GRAY weights on RGB / 255 in float (the same sum as grayFloat).
        rgbMat.convertTo(rgbFloat, opencv_core.CV_32F, 1 / 255.0, 0);
        opencv_imgproc.cvtColor(rgbFloat, grayFloatMat, opencv_imgproc.COLOR_RGB2GRAY);
        gabor.compute(grayFloatMat, tg.gabor(), i * cells);
        opencv_imgproc.cvtColor(rgbMat, grayMat, opencv_imgproc.COLOR_RGB2GRAY);
        contour.extract(grayMat, tg.contour(), i * px);
        motion(y, tg, i);
    }

    /** MT motion |x - y| per channel (SPEC section 2); x is in {@code rgbMat}. */
    private void motion(byte[] y, ClipTargets tg, int i) {
        int px = size * size;
        put(y, previousMat);
        opencv_core.absdiff(rgbMat, previousMat, motionMat);
        try (BytePointer p = new BytePointer(motionMat.data())) {
            p.get(tg.motion(), i * px * 3, px * 3);
        }
    }

    private static void put(byte[] rgb, Mat mat) {
        try (BytePointer p = new BytePointer(mat.data())) {
            p.put(rgb, 0, rgb.length);
        }
    }

    /** {@code g = (0.299 R + 0.587 G + 0.114 B) / 255} in float (SPEC section 2). */
    public static void grayFloat(byte[] rgb, float[] out) {
        for (int p = 0, q = 0; p < out.length; p++, q += 3) {
            out[p] =
                    (0.299f * (rgb[q] & 0xFF)
                                    + 0.587f * (rgb[q + 1] & 0xFF)
                                    + 0.114f * (rgb[q + 2] & 0xFF))
                            / 255f;
        }
    }

    @Override
    public void close() throws Exception {
        gabor.close();
        contour.close();
        rgbMat.close();
        rgbFloat.close();
        grayFloatMat.close();
        grayMat.close();
        previousMat.close();
        motionMat.close();
    }
}
