package io.bimm.flink.targets;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/** The default {@link ContourExtractor}: OpenCV {@code Canny(gray8, 50, 150)}, aperture 3, L1. */
public final class CannyContour implements ContourExtractor {
    public static final double LOW = 50;
    public static final double HIGH = 150;

    private Mat src;
    private final Mat edges = new Mat();
    private int size = -1;

    @Override
    public void extract(byte[] gray8, int size, byte[] out, int outOffset) {
        if (size != this.size) {
            if (src != null) {
                src.close();
            }
            src = new Mat(size, size, opencv_core.CV_8U);
            this.size = size;
        }
        try (BytePointer p = new BytePointer(src.data())) {
            p.put(gray8, 0, size * size);
        }
        extract(src, out, outOffset);
    }

    /** Canny on the Mat itself; edges (0 or 255) become 0 or 1 in OpenCV before the one copy. */
    @Override
    public void extract(Mat gray8, byte[] out, int outOffset) {
        int size = gray8.rows();
        opencv_imgproc.Canny(gray8, edges, LOW, HIGH, 3, false);
        // 255 / 255 = 1 exactly; Canny writes only 0 and 255
        edges.convertTo(edges, opencv_core.CV_8U, 1 / 255.0, 0);
        try (BytePointer p = new BytePointer(edges.data())) {
            p.get(out, outOffset, size * size);
        }
    }

    @Override
    public void close() {
        if (src != null) {
            src.close();
        }
        edges.close();
    }
}
