package io.bimm.flink.targets;

import org.bytedeco.ffmpeg.avutil.AVTXContext;
import org.bytedeco.ffmpeg.avutil.av_tx_fn;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * Unnormalized complex 1-D DFTs of length N over the rows of a {@code CV_32FC2} Mat, with FFmpeg's
 * libavutil transforms (AVTX, hand-written SIMD): the same values as OpenCV's {@code dft} with
 * {@code DFT_ROWS} (forward {@code e^-i}, inverse {@code e^+i}, no 1/N), measured about 4x faster
 * at N = 256. AVTX needs every row aligned, so the Mats come from {@link #alignedRows}. Not thread
 * safe.
 */
final class RowFft implements AutoCloseable {
    /** Row alignment in bytes (AVX-512). */
    static final int ALIGN = 64;

    private final int n;
    private final PointerPointer<AVTXContext> context = new PointerPointer<>(1);
    private final AVTXContext tx;
    private final av_tx_fn fn;

    RowFft(int n, boolean inverse) {
        this.n = n;
        // av_tx_init writes the transform's function into the holder this allocates.
        this.fn = new av_tx_fn() {};
        int err;
        try (FloatPointer scale = new FloatPointer(1f)) {
            err =
                    avutil.av_tx_init(
                            context, fn, avutil.AV_TX_FLOAT_FFT, inverse ? 1 : 0, n, scale, 0);
        }
        if (err < 0 || context.get(0) == null) {
            fn.close();
            throw new IllegalStateException("av_tx_init failed for length " + n + ": " + err);
        }
        this.tx = new AVTXContext(context.get(0));
    }

    /**
     * A {@code rows x n} {@code CV_32FC2} Mat (zeros) whose rows start on {@link #ALIGN}-byte
     * boundaries: a view of a wider one when {@code n} complex values are not a multiple of it.
     */
    static Mat alignedRows(int rows, int n) {
        int perAlign = ALIGN / (2 * Float.BYTES);
        int width = (n + perAlign - 1) / perAlign * perAlign;
        try (Mat wide = new Mat(rows, width, opencv_core.CV_32FC2);
                Rect view = new Rect(0, 0, n, rows)) {
            try (Scalar zero = new Scalar(0.0)) {
                wide.put(zero);
            }
            if (wide.data().address() % ALIGN != 0) {
                throw new IllegalStateException("OpenCV returned an unaligned buffer");
            }
            return new Mat(wide, view); // shares (and keeps) the buffer
        }
    }

    /** Transforms the first {@code rows} rows of {@code src} into those of {@code dst}. */
    void rows(Mat src, Mat dst, int rows) {
        long srcStep = src.step();
        long dstStep = dst.step();
        if (src.cols() != n
                || dst.cols() != n
                || src.type() != opencv_core.CV_32FC2
                || dst.type() != opencv_core.CV_32FC2
                || srcStep % ALIGN != 0
                || dstStep % ALIGN != 0
                || src.data().address() % ALIGN != 0
                || dst.data().address() % ALIGN != 0) {
            throw new IllegalArgumentException("RowFft needs aligned CV_32FC2 rows of length " + n);
        }
        try (Pointer in = src.data();
                Pointer out = dst.data()) {
            for (int y = 0; y < rows; y++) {
                // The last argument is the stride between samples in bytes: contiguous.
                fn.call(tx, out.position(y * dstStep), in.position(y * srcStep), 8);
            }
        }
    }

    @Override
    public void close() {
        avutil.av_tx_uninit(context);
        context.close();
        fn.close();
    }
}
