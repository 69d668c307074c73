package io.bimm.flink.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.bimm.flink.decode.DecodedClip;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Test;

class TargetComputerTest {
    private static final int S = 32;

    @Test
    void grayUsesRgb2GrayWeights() {
        byte[] rgb = {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, 10, 20, 30};
        float[] g = new float[4];
        TargetComputer.grayFloat(rgb, g);
        assertThat(g[0]).isCloseTo(0.299f, within(1e-6f));
        assertThat(g[1]).isCloseTo(0.587f, within(1e-6f));
        assertThat(g[2]).isCloseTo(0.114f, within(1e-6f));
        assertThat(g[3]).isCloseTo((0.299f * 10 + 0.587f * 20 + 0.114f * 30) / 255f, within(1e-6f));
    }

    @Test
    void cannyMarksAStepEdgeOnly() {
        // Left half black, right half white: edges only at the step, as 0/1.
        byte[] gray = new byte[S * S];
        for (int y = 0; y < S; y++) {
            for (int x = S / 2; x < S; x++) {
                gray[y * S + x] = (byte) 200;
            }
        }
        byte[] out = new byte[S * S];
        try (CannyContour c = new CannyContour()) {
            c.extract(gray, S, out, 0);
        }
        for (int y = 0; y < S; y++) {
            int ones = 0;
            for (int x = 0; x < S; x++) {
                byte v = out[y * S + x];
                assertThat(v).isIn((byte) 0, (byte) 1);
                if (v == 1) {
                    ones++;
                    assertThat(x).isBetween(S / 2 - 1, S / 2);
                }
            }
            assertThat(ones).as("row %d", y).isEqualTo(1);
        }
    }

    /**
     * SPEC 2's contour is OpenCV {@code Canny(gray8, 50, 150)} as 0/1: both entry points (the
     * array, and the Mat the target computer passes) give exactly that on a textured frame.
     */
    @Test
    void contourIsOpenCvCannyAsZeroOne() {
        int s = 64;
        byte[] noise = new byte[s * s];
        new Random(11).nextBytes(noise);
        try (Mat raw = new Mat(s, s, opencv_core.CV_8U);
                Mat gray = new Mat();
                Mat reference = new Mat();
                Size k = new Size(5, 5);
                CannyContour c = new CannyContour()) {
            try (BytePointer p = new BytePointer(raw.data())) {
                p.put(noise, 0, noise.length);
            }
            // smoothed noise: many edges of every direction, some below the thresholds
            opencv_imgproc.GaussianBlur(raw, gray, k, 1.5);
            opencv_imgproc.Canny(gray, reference, CannyContour.LOW, CannyContour.HIGH, 3, false);
            byte[] expected = new byte[s * s];
            try (BytePointer p = new BytePointer(reference.data())) {
                p.get(expected, 0, expected.length);
            }
            byte[] pixels = new byte[s * s];
            try (BytePointer p = new BytePointer(gray.data())) {
                p.get(pixels, 0, pixels.length);
            }
            byte[] fromMat = new byte[s * s + 3];
            byte[] fromArray = new byte[s * s + 3];
            c.extract(gray, fromMat, 3);
            c.extract(pixels, s, fromArray, 3);
            int edges = 0;
            for (int i = 0; i < s * s; i++) {
                byte want = (byte) (expected[i] != 0 ? 1 : 0);
                edges += want;
                assertThat(fromMat[3 + i]).as("Mat path, pixel %d", i).isEqualTo(want);
                assertThat(fromArray[3 + i]).as("array path, pixel %d", i).isEqualTo(want);
            }
            assertThat(edges).isGreaterThan(s);
        }
    }

    @Test
    void clipTargetsHaveSpecContent() throws Exception {
        int t = 2;
        Random r = new Random(5);
        byte[][] x = new byte[t][S * S * 3];
        byte[][] y = new byte[t][S * S * 3];
        for (int i = 0; i < t; i++) {
            r.nextBytes(x[i]);
            r.nextBytes(y[i]);
        }
        DecodedClip clip =
                new DecodedClip(
                        S, x, y, 10, 1, new int[] {1, 5}, new int[] {0, 4}, 1, 0, 0, false, 6);
        ClipTargets tg;
        try (TargetComputer tc = new TargetComputer(S)) {
            tg = tc.compute(clip);
        }
        for (int i = 0; i < t; i++) {
            for (int p = 0; p < S * S * 3; p++) {
                int m = Math.abs((x[i][p] & 0xFF) - (y[i][p] & 0xFF));
                assertThat(tg.motion()[i * S * S * 3 + p] & 0xFF).isEqualTo(m);
            }
            float[] gray = new float[S * S];
            TargetComputer.grayFloat(x[i], gray);
            float[] ref = GaborEnergyTest.reference(gray, S);
            int cells = (S / 8) * (S / 8) * 8;
            for (int k = 0; k < cells; k++) {
                assertThat(tg.gabor()[i * cells + k]).isCloseTo(ref[k], within(2e-5f));
            }
        }
        for (byte b : tg.contour()) {
            assertThat(b).isIn((byte) 0, (byte) 1);
        }
    }
}
