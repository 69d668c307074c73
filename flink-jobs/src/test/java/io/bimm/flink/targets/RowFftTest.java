package io.bimm.flink.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.junit.jupiter.api.Test;

/** FFmpeg's row DFTs against OpenCV's {@code dft} with {@code DFT_ROWS}, an independent FFT. */
class RowFftTest {

    @Test
    void matchesOpenCvRowDftBothWays() {
        for (int n : new int[] {45, 60, 144, 256}) {
            for (boolean inverse : new boolean[] {false, true}) {
                int rows = 7;
                Mat src = RowFft.alignedRows(rows, n);
                Random r = new Random(n);
                float[] row = new float[2 * n];
                for (int y = 0; y < rows; y++) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] = 2 * r.nextFloat() - 1;
                    }
                    try (FloatPointer p = new FloatPointer(src.ptr(y))) {
                        p.put(row);
                    }
                }
                Mat dst = RowFft.alignedRows(rows, n);
                try (RowFft fft = new RowFft(n, inverse)) {
                    fft.rows(src, dst, rows);
                }
                Mat ref = new Mat();
                int flags = opencv_core.DFT_ROWS | (inverse ? opencv_core.DFT_INVERSE : 0);
                opencv_core.dft(src, ref, flags, 0);
                Mat diff = new Mat();
                opencv_core.absdiff(dst, ref, diff);
                double err = opencv_core.norm(diff, opencv_core.NORM_INF, new Mat());
                double max = opencv_core.norm(ref, opencv_core.NORM_INF, new Mat());
                assertThat(max).as("n %d", n).isGreaterThan(1.0);
                assertThat(err).as("n %d inverse %s", n, inverse).isLessThan(1e-5 * max);
            }
        }
    }

    @Test
    void realForwardMatchesOpenCvOnTheNonRedundantHalf() {
        for (int n : new int[] {60, 144, 256}) {
            int rows = 5;
            Mat src = RowFft.alignedRows(rows, n, opencv_core.CV_32F);
            Random r = new Random(n);
            float[] row = new float[n];
            for (int y = 0; y < rows; y++) {
                for (int i = 0; i < n; i++) {
                    row[i] = r.nextFloat();
                }
                try (FloatPointer p = new FloatPointer(src.ptr(y))) {
                    p.put(row);
                }
            }
            Mat dst = RowFft.alignedRows(rows, n);
            try (RowFft fft = RowFft.realForwardOrNull(n)) {
                assertThat(fft).as("n %d", n).isNotNull();
                fft.rows(src, dst, rows);
            }
            Mat ref = new Mat();
            opencv_core.dft(src, ref, opencv_core.DFT_ROWS | opencv_core.DFT_COMPLEX_OUTPUT, 0);
            try (Rect half = new Rect(0, 0, n / 2 + 1, rows)) {
                Mat diff = new Mat();
                opencv_core.absdiff(new Mat(dst, half), new Mat(ref, half), diff);
                double err = opencv_core.norm(diff, opencv_core.NORM_INF, new Mat());
                assertThat(err).as("n %d", n).isLessThan(1e-5 * n);
            }
        }
        // AVTX has no real transform for odd N or odd N/2: the caller falls back to OpenCV.
        assertThat(RowFft.realForwardOrNull(45)).isNull();
        assertThat(RowFft.realForwardOrNull(150)).isNull();
    }

    @Test
    void rowsAreAlignedAndCheckedOnUse() {
        Mat m = RowFft.alignedRows(3, 45);
        assertThat(m.cols()).isEqualTo(45);
        assertThat(m.step() % RowFft.ALIGN).isZero();
        assertThat(m.data().address() % RowFft.ALIGN).isZero();
        Mat unaligned = new Mat(3, 45, opencv_core.CV_32FC2);
        try (RowFft fft = new RowFft(45, false)) {
            assertThatThrownBy(() -> fft.rows(unaligned, m, 3))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
