package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.Target;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The trivial predictions' losses are the model's own loss of those predictions. */
class TrivialLossesTest {

    @Test
    void matchTheModelsLossOfZeroAndOfTheMeanGaborVector() {
        Random r = new Random(11);
        int mv = 3;
        int md = 5;
        TrainingSample[] samples = new TrainingSample[2];
        for (int i = 0; i < samples.length; i++) {
            byte[] motion = new byte[md * 1536];
            // mostly still tubelets with a little noise, one moving: both scales of variance
            for (int j = 0; j < motion.length; j++) {
                motion[j] = (byte) (j < 1536 ? r.nextInt(256) : r.nextInt(50) == 0 ? 1 : 0);
            }
            samples[i] =
                    new TrainingSample(
                            "c" + i,
                            0,
                            new int[1],
                            new int[mv],
                            new byte[768],
                            floats(mv * 32, r),
                            bytes(mv * 256, 2, r),
                            bytes(mv * 768, 256, r),
                            new int[1],
                            new int[md],
                            new byte[1536],
                            floats(md * 64, r),
                            bytes(md * 512, 2, r),
                            motion);
        }
        TrivialLosses trivial = new TrivialLosses();
        for (TrainingSample s : samples) {
            trivial.add(s);
        }
        Map<String, Double> got = trivial.losses();
        assertThat(got).hasSize(6);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (Target t :
                    new Target[] {
                        Target.VENTRAL_CONTOUR,
                        Target.VENTRAL_RGB,
                        Target.DORSAL_CONTOUR,
                        Target.DORSAL_MOTION
                    }) {
                check(m, got, t, bytes(samples[0], t), bytes(samples[1], t));
            }
            for (Target t : new Target[] {Target.VENTRAL_GABOR, Target.DORSAL_GABOR}) {
                float[] a =
                        t.branch() == Branch.DORSAL
                                ? samples[0].dorsalGabor
                                : samples[0].ventralGabor;
                float[] b =
                        t.branch() == Branch.DORSAL
                                ? samples[1].dorsalGabor
                                : samples[1].ventralGabor;
                float[] all = new float[a.length + b.length];
                System.arraycopy(a, 0, all, 0, a.length);
                System.arraycopy(b, 0, all, a.length, b.length);
                int d = t.dim();
                float[] mean = new float[d];
                for (int i = 0; i < all.length; i++) {
                    mean[i % d] += all[i] / (all.length / d);
                }
                float[] pred = new float[all.length];
                for (int i = 0; i < all.length; i++) {
                    pred[i] = mean[i % d];
                }
                Shape shape = new Shape(1, all.length / d, d);
                float loss =
                        Bimm.forwardLoss(m.create(pred, shape), m.create(all, shape), t).getFloat();
                assertThat(got.get(t.key())).as(t.key()).isCloseTo(loss, within(1e-5));
            }
        }
        // the noisy still tubelets stay small in SPEC 2's scale (about 0.23 each, not 1)
        assertThat(got.get("dorsal_motion")).isBetween(0.2, 0.5);
    }

    @Test
    void clipMeanIsTheModelsLossOfEachSamplesOwnMeanTarget() {
        Random r = new Random(5);
        int md = 6;
        byte[] still = bytes(1536, 3, r); // one pattern, repeated: its mean predicts it exactly
        byte[] repeated = new byte[md * 1536];
        for (int tok = 0; tok < md; tok++) {
            System.arraycopy(still, 0, repeated, tok * 1536, 1536);
        }
        TrivialLosses same = new TrivialLosses().add(dorsal(repeated, r));
        assertThat(same.clipMeanLosses().get("dorsal_motion")).isCloseTo(0.0, within(1e-9));
        assertThat(same.losses().get("dorsal_motion")).isGreaterThan(0.5);

        TrainingSample s = dorsal(bytes(md * 1536, 256, r), r);
        Map<String, Double> got = new TrivialLosses().add(s).clipMeanLosses();
        assertThat(got).containsOnlyKeys("dorsal_gabor", "dorsal_contour", "dorsal_motion");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            checkMean(m, got, Target.DORSAL_MOTION, s.dorsalMotion);
            checkMean(m, got, Target.DORSAL_CONTOUR, s.dorsalContour);
            int d = Target.DORSAL_GABOR.dim();
            float[] pred = new float[s.dorsalGabor.length];
            for (int i = 0; i < pred.length; i++) {
                for (int tok = 0; tok < md; tok++) {
                    pred[i] += s.dorsalGabor[tok * d + i % d] / md;
                }
            }
            Shape shape = new Shape(1, md, d);
            float loss =
                    Bimm.forwardLoss(
                                    m.create(pred, shape),
                                    m.create(s.dorsalGabor, shape),
                                    Target.DORSAL_GABOR)
                            .getFloat();
            assertThat(got.get("dorsal_gabor")).isCloseTo(loss, within(1e-6));
        }
    }

    /** The model's loss of predicting every token by the mean of the tokens' normalized values. */
    private static void checkMean(NDManager m, Map<String, Double> got, Target t, byte[] values) {
        int d = t.dim();
        int n = values.length / d;
        float[] z = ReferenceNormalization.normalized(values, t);
        float[] pred = new float[values.length];
        for (int tok = 0; tok < n; tok++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < n; k++) {
                    pred[k * d + j] += z[tok * d + j] / n;
                }
            }
        }
        Shape shape = new Shape(1, n, d);
        NDArray target = m.create(values, shape).toType(DataType.UINT8, false);
        float loss = Bimm.forwardLoss(m.create(pred, shape), target, t).getFloat();
        assertThat(got.get(t.key())).as(t.key()).isCloseTo(loss, within(1e-4));
    }

    private static TrainingSample dorsal(byte[] motion, Random r) {
        int md = motion.length / 1536;
        return new TrainingSample(
                "d",
                0,
                null,
                null,
                null,
                null,
                null,
                null,
                new int[1],
                new int[md],
                new byte[1536],
                floats(md * 64, r),
                bytes(md * 512, 2, r),
                motion);
    }

    private static void check(NDManager m, Map<String, Double> got, Target t, byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Shape shape = new Shape(1, all.length / t.dim(), t.dim());
        NDArray target = m.create(all, shape).toType(DataType.UINT8, false);
        float loss = Bimm.forwardLoss(m.zeros(shape), target, t).getFloat();
        assertThat(got.get(t.key())).as(t.key()).isCloseTo(loss, within(1e-4));
    }

    private static byte[] bytes(TrainingSample s, Target t) {
        return switch (t) {
            case VENTRAL_CONTOUR -> s.ventralContour;
            case VENTRAL_RGB -> s.ventralRgb;
            case DORSAL_CONTOUR -> s.dorsalContour;
            case DORSAL_MOTION -> s.dorsalMotion;
            default -> throw new IllegalArgumentException(t.key());
        };
    }

    private static float[] floats(int n, Random r) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextFloat();
        }
        return out;
    }

    private static byte[] bytes(int n, int bound, Random r) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) r.nextInt(bound);
        }
        return out;
    }
}
