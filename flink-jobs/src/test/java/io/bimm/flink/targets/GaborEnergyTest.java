package io.bimm.flink.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.testutil.Videos;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Test;

/** The FFT Gabor path against OpenCV getGaborKernel + filter2D, the SPEC's own definition. */
class GaborEnergyTest {

    /** SPEC 2 V1 computed the straightforward way, in float, with OpenCV. */
    static float[] reference(float[] gray, int s) {
        int c = s / 8;
        float[] ref = new float[c * c * 8];
        Mat g = new Mat(s, s, opencv_core.CV_32F);
        new FloatPointer(g.data()).put(gray);
        for (int j = 0; j < 8; j++) {
            double lambda = j < 4 ? 4 : 8;
            double theta = (j % 4) * Math.PI / 4;
            double sigma = 0.56 * lambda;
            int ks = 2 * (int) Math.ceil(3 * sigma) + 1;
            Mat re = new Mat();
            Mat im = new Mat();
            for (int part = 0; part < 2; part++) {
                Mat k =
                        opencv_imgproc.getGaborKernel(
                                new Size(ks, ks),
                                sigma,
                                theta,
                                lambda,
                                0.5,
                                part == 0 ? 0 : Math.PI / 2,
                                opencv_core.CV_32F);
                opencv_imgproc.filter2D(
                        g,
                        part == 0 ? re : im,
                        -1,
                        k,
                        new Point(-1, -1),
                        0,
                        opencv_core.BORDER_REFLECT_101);
            }
            float[] fr = new float[s * s];
            float[] fi = new float[s * s];
            new FloatPointer(re.data()).get(fr);
            new FloatPointer(im.data()).get(fi);
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int p = y * s + x;
                    float e = (float) Math.sqrt(fr[p] * fr[p] + fi[p] * fi[p]);
                    ref[((y / 8) * c + x / 8) * 8 + j] += e / 64f;
                }
            }
        }
        for (int cell = 0; cell < c * c; cell++) {
            double ss = 0;
            for (int j = 0; j < 8; j++) {
                ss += ref[cell * 8 + j] * ref[cell * 8 + j];
            }
            for (int j = 0; j < 8; j++) {
                ref[cell * 8 + j] /= (float) (Math.sqrt(ss) + 1e-6);
            }
        }
        return ref;
    }

    @Test
    void kernelsAreOpenCvs() {
        for (int j = 0; j < 8; j++) {
            for (double psi : new double[] {0, Math.PI / 2}) {
                int ks = GaborBank.kernelSize(j);
                Mat k =
                        opencv_imgproc.getGaborKernel(
                                new Size(ks, ks),
                                GaborBank.sigma(j),
                                GaborBank.theta(j),
                                GaborBank.lambda(j),
                                0.5,
                                psi,
                                opencv_core.CV_32F);
                float[] ref = new float[ks * ks];
                new FloatPointer(k.data()).get(ref);
                float[] mine = GaborBank.kernel(j, psi);
                for (int i = 0; i < ref.length; i++) {
                    assertThat(mine[i]).isCloseTo(ref[i], within(1e-6f));
                }
            }
        }
        assertThat(GaborBank.kernelSize(0)).isEqualTo(15);
        assertThat(GaborBank.kernelSize(4)).isEqualTo(29);
    }

    @Test
    void axisAlignedKernelsFactorExactly() {
        for (int j = 0; j < 8; j++) {
            if (!GaborBank.separable(j)) {
                continue;
            }
            for (double psi : new double[] {0, Math.PI / 2}) {
                float[][] f = GaborBank.separableFactors(j, psi);
                float[] k = GaborBank.kernel(j, psi);
                int ks = GaborBank.kernelSize(j);
                for (int i = 0; i < ks; i++) {
                    for (int jj = 0; jj < ks; jj++) {
                        assertThat(f[1][i] * f[0][jj])
                                .as("filter %d psi %f (%d, %d)", j, psi, i, jj)
                                .isCloseTo(k[i * ks + jj], within(1e-6f));
                    }
                }
            }
        }
        assertThat(GaborBank.separable(1)).isFalse();
    }

    @Test
    void matchesFilter2dOnNoise() {
        // FFT sizes 45 (odd: the mirrored half of the spectrum has no Nyquist row), 96, 144 and
        // 256 (S = 224, the paper's size).
        try (GaborEnergy odd = new GaborEnergy(16);
                GaborEnergy paper = new GaborEnergy(224)) {
            assertThat(odd.fftSize()).isEqualTo(45);
            assertThat(paper.fftSize()).isEqualTo(256);
        }
        for (int s : new int[] {16, 64, 112, 224}) {
            float[] gray = new float[s * s];
            Random r = new Random(s);
            for (int i = 0; i < gray.length; i++) {
                gray[i] = r.nextFloat();
            }
            assertMatches(gray, s);
        }
    }

    @Test
    void matchesFilter2dOnAVideoFrame() throws Exception {
        int s = 112;
        DecodeOptions o =
                DecodeOptions.builder().optSize(s).optFrames(2).optDeterministic(true).build();
        DecodedClip clip;
        try (ClipDecoder d = new ClipDecoder(o)) {
            clip = d.decode(Videos.bytes("box.mp4"), "box", 0, 0);
        }
        float[] gray = new float[s * s];
        TargetComputer.grayFloat(clip.x()[1], gray);
        assertMatches(gray, s);
    }

    private static void assertMatches(float[] gray, int s) {
        float[] out = new float[(s / 8) * (s / 8) * 8];
        try (GaborEnergy e = new GaborEnergy(s)) {
            e.compute(gray, out, 0);
        }
        float[] ref = reference(gray, s);
        for (int i = 0; i < ref.length; i++) {
            assertThat(out[i]).as("cell value %d", i).isCloseTo(ref[i], within(2e-5f));
        }
        // Normalized: every cell has unit norm (up to the 1e-6 guard).
        for (int c = 0; c < ref.length / 8; c++) {
            double ss = 0;
            for (int j = 0; j < 8; j++) {
                ss += out[c * 8 + j] * out[c * 8 + j];
            }
            assertThat(Math.sqrt(ss)).isCloseTo(1.0, within(1e-3));
        }
    }
}
