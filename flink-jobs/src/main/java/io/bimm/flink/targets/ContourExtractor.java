package io.bimm.flink.targets;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * V2 target (SPEC section 2): a binary contour map of one frame; replaceable by a learned model.
 */
public interface ContourExtractor extends AutoCloseable {
    /**
     * Writes the contour map of one frame.
     *
     * @param gray8 (S, S) 8-bit gray, OpenCV {@code RGB2GRAY}
     * @param out (S, S) values 0 or 1, written from {@code outOffset}
     */
    void extract(byte[] gray8, int size, byte[] out, int outOffset);

    /**
     * As {@link #extract(byte[], int, byte[], int)}, from the 8-bit gray frame in an (S, S) {@code
     * CV_8U} Mat (continuous); an extractor that works on Mats overrides this to skip the copies.
     */
    default void extract(Mat gray8, byte[] out, int outOffset) {
        int size = gray8.rows();
        if (gray8.cols() != size || gray8.type() != opencv_core.CV_8U || !gray8.isContinuous()) {
            throw new IllegalArgumentException("Gray frame must be a square continuous CV_8U Mat");
        }
        byte[] pixels = new byte[size * size];
        try (BytePointer p = new BytePointer(gray8.data())) {
            p.get(pixels, 0, pixels.length);
        }
        extract(pixels, size, out, outOffset);
    }

    @Override
    default void close() {}
}
