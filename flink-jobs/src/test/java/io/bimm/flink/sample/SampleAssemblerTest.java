package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.masking.Mask;
import io.bimm.flink.masking.MaskGenerator;
import io.bimm.flink.targets.ClipTargets;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Layout of {@link TrainingSample} checked element by element against the full-frame arrays. */
class SampleAssemblerTest {
    private static final int S = 48;
    private static final int T = 4;
    private static final int G = S / 16;

    @Test
    void layoutMatchesTheDocumentedIndexing() {
        Random r = new Random(9);
        byte[][] x = new byte[T][S * S * 3];
        byte[][] y = new byte[T][S * S * 3];
        for (int i = 0; i < T; i++) {
            r.nextBytes(x[i]);
            r.nextBytes(y[i]);
        }
        int c = S / 8;
        float[] gabor = new float[T * c * c * 8];
        for (int i = 0; i < gabor.length; i++) {
            gabor[i] = i; // value = its own flat index (t, cy, cx, j)
        }
        byte[] contour = new byte[T * S * S];
        byte[] motion = new byte[T * S * S * 3];
        r.nextBytes(contour);
        r.nextBytes(motion);
        DecodedClip clip =
                new DecodedClip(S, x, y, 20, 1, new int[T], new int[T], 1, 0, 0, false, 14);
        ClipTargets tg = new ClipTargets(T, S, gabor, contour, motion);
        Mask ventral = MaskGenerator.random(G * G, 0.75, new SplittableRandom(1));
        Mask dorsal = MaskGenerator.tube(T / 2, G * G, 0.5, new SplittableRandom(2));
        int vf = 3;
        TrainingSample s = SampleAssembler.assemble("id", 4, clip, tg, vf, ventral, dorsal);

        assertThat(s.clipId).isEqualTo("id");
        assertThat(s.draw).isEqualTo(4);
        assertThat(s.ventralVisibleIdx).isEqualTo(ventral.visible());
        assertThat(s.dorsalMaskedIdx).isEqualTo(dorsal.masked());
        for (int k = 0; k < ventral.visible().length; k++) {
            int n = ventral.visible()[k];
            for (int py = 0; py < 16; py++) {
                for (int px = 0; px < 16; px++) {
                    for (int ch = 0; ch < 3; ch++) {
                        int src = (((n / G) * 16 + py) * S + (n % G) * 16 + px) * 3 + ch;
                        assertThat(s.ventralPixels[((k * 16 + py) * 16 + px) * 3 + ch])
                                .isEqualTo(x[vf][src]);
                    }
                }
            }
        }
        for (int k = 0; k < ventral.masked().length; k++) {
            int n = ventral.masked()[k];
            int h = n / G;
            int w = n % G;
            for (int cy = 0; cy < 2; cy++) {
                for (int cx = 0; cx < 2; cx++) {
                    for (int j = 0; j < 8; j++) {
                        float expect = ((vf * c + 2 * h + cy) * c + 2 * w + cx) * 8 + j;
                        assertThat(s.ventralGabor[((k * 2 + cy) * 2 + cx) * 8 + j])
                                .isEqualTo(expect);
                    }
                }
            }
            for (int py = 0; py < 16; py++) {
                for (int px = 0; px < 16; px++) {
                    int pix = (h * 16 + py) * S + w * 16 + px;
                    assertThat(s.ventralContour[(k * 16 + py) * 16 + px])
                            .isEqualTo(contour[vf * S * S + pix]);
                    for (int ch = 0; ch < 3; ch++) {
                        assertThat(s.ventralRgb[((k * 16 + py) * 16 + px) * 3 + ch])
                                .isEqualTo(x[vf][pix * 3 + ch]);
                    }
                }
            }
        }
        for (int k = 0; k < dorsal.visible().length; k++) {
            int n = dorsal.visible()[k];
            int t = n / (G * G);
            int h = (n % (G * G)) / G;
            int w = n % G;
            for (int f = 0; f < 2; f++) {
                for (int py = 0; py < 16; py++) {
                    for (int px = 0; px < 16; px++) {
                        int pix = (h * 16 + py) * S + w * 16 + px;
                        for (int ch = 0; ch < 3; ch++) {
                            assertThat(s.dorsalPixels[(((k * 2 + f) * 16 + py) * 16 + px) * 3 + ch])
                                    .isEqualTo(x[2 * t + f][pix * 3 + ch]);
                        }
                    }
                }
            }
        }
        for (int k = 0; k < dorsal.masked().length; k++) {
            int n = dorsal.masked()[k];
            int t = n / (G * G);
            int h = (n % (G * G)) / G;
            int w = n % G;
            for (int f = 0; f < 2; f++) {
                int frame = 2 * t + f;
                for (int cy = 0; cy < 2; cy++) {
                    for (int cx = 0; cx < 2; cx++) {
                        for (int j = 0; j < 8; j++) {
                            float expect = ((frame * c + 2 * h + cy) * c + 2 * w + cx) * 8 + j;
                            assertThat(s.dorsalGabor[(((k * 2 + f) * 2 + cy) * 2 + cx) * 8 + j])
                                    .isEqualTo(expect);
                        }
                    }
                }
                for (int py = 0; py < 16; py++) {
                    for (int px = 0; px < 16; px++) {
                        int pix = (h * 16 + py) * S + w * 16 + px;
                        assertThat(s.dorsalContour[((k * 2 + f) * 16 + py) * 16 + px])
                                .isEqualTo(contour[frame * S * S + pix]);
                        for (int ch = 0; ch < 3; ch++) {
                            assertThat(s.dorsalMotion[(((k * 2 + f) * 16 + py) * 16 + px) * 3 + ch])
                                    .isEqualTo(motion[(frame * S * S + pix) * 3 + ch]);
                        }
                    }
                }
            }
        }
    }
}
