package io.bimm.flink.decode;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * SPEC 1's geometry applied to one RGB picture, a video frame ({@link ClipDecoder}) or a still
 * image ({@link ImageDecoder}): bilinear resize, {@code S x S} crop, optional horizontal flip, out
 * as an (S, S, 3) uint8 array. Keeps its working matrices between calls; not thread safe.
 */
final class FrameTransform implements AutoCloseable {

    private final Mat resized = new Mat();
    private final Mat cropped = new Mat();

    /** {@code src} (RGB, 3 channels) resized to {@code dsize}, cropped to {@code roi}, flipped. */
    byte[] apply(Mat src, Size dsize, Rect roi, boolean flip) {
        opencv_imgproc.resize(src, resized, dsize, 0, 0, opencv_imgproc.INTER_LINEAR);
        try (Mat view = new Mat(resized, roi)) {
            if (flip) {
                opencv_core.flip(view, cropped, 1);
            } else {
                view.copyTo(cropped);
            }
        }
        byte[] out = new byte[roi.width() * roi.height() * 3];
        cropped.data().get(out);
        return out;
    }

    @Override
    public void close() {
        resized.close();
        cropped.close();
    }
}
