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
 * Unnormalized 1-D DFTs of length N over the rows of a Mat, with FFmpeg's libavutil transforms
 * (AVTX, hand-written SIMD): the same values as OpenCV's {@code dft} with {@code DFT_ROWS} (forward
 * {@code e^-i}, inverse {@code e^+i}, no 1/N), measured about 4x faster at N = 256. Complex to
 * complex ({@code CV_32FC2} rows of N), or real forward ({@code CV_32F} rows of N, even, to the
 * first N/2 + 1 complex values of each output row). AVTX needs every row aligned, so the Mats come
 * from {@link #alignedRows}. Not thread safe.
 */
final class RowFft implements AutoCloseable {
    /** Row alignment in bytes (AVX-512). */
    static final int ALIGN = 64;

    private final int n;
    private final boolean real;
    private final PointerPointer<AVTXContext> context = new PointerPointer<>(1);
    private final AVTXContext tx;
    private final av_tx_fn fn;

    /** Complex to complex, forward or inverse. */
    RowFft(int n, boolean inverse) {
        this(n, inverse, false);
    }

    /**
     * Real to complex, forward; null where AVTX has no real transform of this length (odd N, and
     * N/2 odd such as 150).
     */
    static RowFft realForwardOrNull(int n) {
        if (n % 2 != 0) {
            return null;
        }
        try {
            return new RowFft(n, false, true);
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private RowFft(int n, boolean inverse, boolean real) {
        this.n = n;
        this.real = real;
        // av_tx_init writes the transform's function into the holder this allocates.
        this.fn = new av_tx_fn() {};
        int err;
        try (FloatPointer scale = new FloatPointer(1f)) {
            err =
                    avutil.av_tx_init(
                            context,
                            fn,
                            real ? avutil.AV_TX_FLOAT_RDFT : avutil.AV_TX_FLOAT_FFT,
                            inverse ? 1 : 0,
                            n,
                            scale,
                            0);
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
        return alignedRows(rows, n, opencv_core.CV_32FC2);
    }

    /** As {@link #alignedRows(int, int)} for {@code CV_32F} or {@code CV_32FC2}. */
    static Mat alignedRows(int rows, int n, int type) {
        int perAlign = ALIGN / (type == opencv_core.CV_32FC2 ? 2 * Float.BYTES : Float.BYTES);
        int width = (n + perAlign - 1) / perAlign * perAlign;
        try (Mat wide = new Mat(rows, width, type);
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
        long stride = real ? Float.BYTES : 2 * Float.BYTES;
        long srcStep = src.step();
        long dstStep = dst.step();
        if (src.cols() != n
                || dst.cols() < (real ? n / 2 + 1 : n)
                || src.type() != (real ? opencv_core.CV_32F : opencv_core.CV_32FC2)
                || dst.type() != opencv_core.CV_32FC2
                || src.rows() < rows
                || dst.rows() < rows
                || srcStep % ALIGN != 0
                || dstStep % ALIGN != 0
                || src.data().address() % ALIGN != 0
                || dst.data().address() % ALIGN != 0) {
            throw new IllegalArgumentException(
                    "RowFft needs aligned " + (real ? "CV_32F" : "CV_32FC2") + " rows of " + n);
        }
        try (Pointer in = src.data();
                Pointer out = dst.data()) {
            for (int y = 0; y < rows; y++) {
                // The last argument is the stride between (input, for real) samples in bytes.
                fn.call(tx, out.position(y * dstStep), in.position(y * srcStep), stride);
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
