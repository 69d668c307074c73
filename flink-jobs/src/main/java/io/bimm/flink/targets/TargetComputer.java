package io.bimm.flink.targets;

import io.bimm.flink.decode.DecodedClip;
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
    private final float[] gray;
    private final byte[] gray8;
    private final Mat rgbMat;
    private final Mat grayMat = new Mat();

    public TargetComputer(int size) {
        this(size, new CannyContour());
    }

    public TargetComputer(int size, ContourExtractor contour) {
        this.size = size;
        this.gabor = new GaborEnergy(size);
        this.contour = contour;
        this.gray = new float[size * size];
        this.gray8 = new byte[size * size];
        this.rgbMat = new Mat(size, size, opencv_core.CV_8UC3);
    }

    /** Targets of all sampled frames of a clip. */
    public ClipTargets compute(DecodedClip clip) {
        int t = clip.frames();
        int px = size * size;
        int cells = gabor.cells() * gabor.cells() * GaborBank.FILTERS;
        float[] g = new float[t * cells];
        byte[] c = new byte[t * px];
        byte[] m = new byte[t * px * 3];
        for (int i = 0; i < t; i++) {
            byte[] x = clip.x()[i];
            grayFloat(x, gray);
            gabor.compute(gray, g, i * cells);
            gray8(x);
            contour.extract(gray8, size, c, i * px);
            motion(x, clip.y()[i], m, i * px * 3);
        }
        return new ClipTargets(t, size, g, c, m);
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

    private void gray8(byte[] rgb) {
        try (BytePointer p = new BytePointer(rgbMat.data())) {
            p.put(rgb, 0, rgb.length);
        }
        opencv_imgproc.cvtColor(rgbMat, grayMat, opencv_imgproc.COLOR_RGB2GRAY);
        try (BytePointer p = new BytePointer(grayMat.data())) {
            p.get(gray8, 0, gray8.length);
        }
    }

    /** MT motion {@code |x - y|} per channel (SPEC section 2). */
    public static void motion(byte[] x, byte[] y, byte[] out, int offset) {
        for (int i = 0; i < x.length; i++) {
            out[offset + i] = (byte) Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
        }
    }

    @Override
    public void close() throws Exception {
        gabor.close();
        contour.close();
        rgbMat.close();
        grayMat.close();
    }
}
