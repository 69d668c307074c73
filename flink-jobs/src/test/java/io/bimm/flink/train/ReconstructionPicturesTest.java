package io.bimm.flink.train;

import static io.bimm.flink.sample.ReferenceNormalization.normalized;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.SamplePipeline;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.testutil.Videos;
import io.bimm.model.Bimm;
import io.bimm.model.Target;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconstructionPicturesTest {
    private static final int S = 32;
    private static final int T = 4;

    private static int[] tile(BufferedImage img, int col, int row) {
        int x0 = ReconstructionPictures.GAP + col * (S + ReconstructionPictures.GAP);
        int y0 =
                ReconstructionPictures.HEADER
                        + ReconstructionPictures.GAP
                        + row * (S + ReconstructionPictures.GAP);
        return img.getRGB(x0, y0, S, S, null, 0, S);
    }

    private static void assertSameWithin(int[] a, int[] b, int tolerance) {
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift < 24; shift += 8) {
                int ca = (a[i] >> shift) & 0xFF;
                int cb = (b[i] >> shift) & 0xFF;
                assertThat(Math.abs(ca - cb)).as("pixel %d", i).isLessThanOrEqualTo(tolerance);
            }
        }
    }

    @Test
    void perfectPredictionsPictureTheTargetsAndTheInputIsTheSampledFrame(@TempDir Path dir)
            throws Exception {
        DecodeOptions o =
                DecodeOptions.builder()
                        .optSize(S)
                        .optFrames(T)
                        .optStride(2)
                        .optDeterministic(true)
                        .build();
        try (SamplePipeline p = new SamplePipeline(PrepOptions.of(o, 3))) {
            TrainingSample s = p.process(Videos.bytes("cup.mp4"), "cup", 0);
            Map<Target, float[]> perfect = new EnumMap<>(Target.class);
            perfect.put(Target.VENTRAL_RGB, normalized(s.ventralRgb, Target.VENTRAL_RGB));
            perfect.put(
                    Target.VENTRAL_CONTOUR, normalized(s.ventralContour, Target.VENTRAL_CONTOUR));
            perfect.put(Target.VENTRAL_GABOR, s.ventralGabor.clone());
            perfect.put(Target.DORSAL_MOTION, normalized(s.dorsalMotion, Target.DORSAL_MOTION));
            perfect.put(Target.DORSAL_CONTOUR, normalized(s.dorsalContour, Target.DORSAL_CONTOUR));
            perfect.put(Target.DORSAL_GABOR, s.dorsalGabor.clone());

            List<Path> files = new ReconstructionPictures(S, T).write(s, perfect, dir);
            assertThat(files)
                    .containsExactly(
                            dir.resolve(ReconstructionPictures.VENTRAL),
                            dir.resolve(ReconstructionPictures.DORSAL));

            BufferedImage v = ImageIO.read(files.get(0).toFile());
            assertThat(v.getWidth()).isEqualTo(8 * S + 9 * ReconstructionPictures.GAP);
            // Column 0: visible patches plus the RGB targets of the masked ones = the frame.
            byte[] frame = p.lastClip().x()[0]; // deterministic: ventral frame 0
            int[] input = tile(v, 0, 0);
            for (int i = 0; i < S * S; i++) {
                int rgb =
                        ((frame[3 * i] & 0xFF) << 16)
                                | ((frame[3 * i + 1] & 0xFF) << 8)
                                | (frame[3 * i + 2] & 0xFF);
                assertThat(input[i] & 0xFFFFFF).as("pixel %d", i).isEqualTo(rgb);
            }
            for (int c = 2; c < 8; c += 2) {
                assertSameWithin(tile(v, c, 0), tile(v, c + 1, 0), 1);
            }
            // The masked input differs from the input exactly on the masked patches.
            assertThat(tile(v, 1, 0)).isNotEqualTo(input);

            BufferedImage d = ImageIO.read(files.get(1).toFile());
            assertThat(d.getHeight())
                    .isEqualTo(
                            ReconstructionPictures.HEADER
                                    + T / 2 * (S + ReconstructionPictures.GAP)
                                    + ReconstructionPictures.GAP);
            for (int row = 0; row < T / 2; row++) {
                for (int c = 1; c < 7; c += 2) {
                    assertSameWithin(tile(d, c, row), tile(d, c + 1, row), 1);
                }
            }
            // A wrong prediction shows: zero motion predictions give each token's mean colour.
            perfect.put(Target.DORSAL_MOTION, new float[s.dorsalMotion.length]);
            new ReconstructionPictures(S, T).write(s, perfect, dir);
            BufferedImage d2 = ImageIO.read(files.get(1).toFile());
            assertThat(tile(d2, 2, 0)).isNotEqualTo(tile(d2, 1, 0));
        }
    }

    @Test
    void theTargetAsTheLossSeesItMapsBackToItsOwnValues() {
        Random r = new Random(2);
        for (Target t :
                new Target[] {Target.DORSAL_MOTION, Target.VENTRAL_RGB, Target.DORSAL_CONTOUR}) {
            // a busy token and a nearly flat one (a few grey levels of noise)
            byte[] tokens = new byte[2 * t.dim()];
            for (int i = 0; i < t.dim(); i++) {
                tokens[i] = (byte) r.nextInt(t == Target.DORSAL_CONTOUR ? 2 : 256);
                tokens[t.dim() + i] = (byte) (r.nextInt(40) == 0 ? 1 : 0);
            }
            float[] perfect;
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                // the loss of predicting this is zero, so it is the normalized target
                var target =
                        m.create(tokens, new Shape(1, 2, t.dim())).toType(DataType.UINT8, false);
                var normalized =
                        Bimm.normalizePerToken(
                                target.toType(DataType.FLOAT32, false).div(t.divisor()));
                perfect = normalized.toFloatArray();
                assertThat(Bimm.forwardLoss(normalized, target, t).getFloat()).isLessThan(1e-10f);
            }
            for (int k = 0; k < 2; k++) {
                float[] back =
                        ReconstructionPictures.denormalize(
                                t, tokens, k * t.dim(), perfect, k * t.dim());
                for (int i = 0; i < t.dim(); i++) {
                    assertThat((double) back[i])
                            .as(t.key() + " token " + k)
                            .isCloseTo(tokens[k * t.dim() + i] & 0xFF, within(1e-3));
                }
            }
        }
    }
}
