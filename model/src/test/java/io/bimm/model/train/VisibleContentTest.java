package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Visible content reaches every decoder. Each sample belongs to one of four kinds, told only by its
 * visible pixels; each target of its masked tokens is a fixed pattern of that kind. A model that
 * could not carry what the encoder sees to the decoders, or mixed up which sample a target belongs
 * to, could only predict the average of the four patterns (a loss of about 0.75 for the normalized
 * targets), however long it trained: unlike a fixed batch, this cannot be memorized by position.
 */
class VisibleContentTest {

    private static final int KINDS = 4;
    private static final int BATCH = 8;

    @Test
    void everyTargetIsPredictedFromWhatTheEncoderSaw() {
        BimmConfig config = TestConfigs.micro().build();
        Random random = new Random(3);
        Kind[] kinds = new Kind[KINDS];
        for (int k = 0; k < KINDS; k++) {
            kinds[k] = new Kind(k, random);
        }
        Engine.getInstance().setRandomSeed(3);
        TrainOptions options =
                TrainOptions.builder()
                        .optStage(Stage.JOINT)
                        .optBaseLr(0.03)
                        .optBatchSize(BATCH)
                        .optWarmupSteps(20)
                        .build();
        Map<String, Float> last = new HashMap<>();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, options);
            Map<String, Double> window = new HashMap<>();
            for (int step = 1; step <= 400; step++) {
                MaskedBatch.Builder b = MaskedBatch.builder(config);
                for (int i = 0; i < BATCH; i++) {
                    kinds[random.nextInt(KINDS)].add(b, config, random);
                }
                trainer.step(b.build())
                        .losses()
                        .forEach((k, v) -> window.merge(k, (double) v, Double::sum));
                if (step % 20 == 0) {
                    window.forEach((k, v) -> last.put(k, (float) (v / 20)));
                    window.clear();
                    if (last.entrySet().stream()
                            .allMatch(e -> e.getValue() < 0.1 * floor(kinds, e.getKey()))) {
                        break;
                    }
                }
            }
        }
        assertThat(last).hasSize(6);
        last.forEach(
                (target, loss) ->
                        assertThat(loss)
                                .as(
                                        target + " (without what the encoder saw: %.3f)",
                                        floor(kinds, target))
                                .isLessThan((float) (0.1 * floor(kinds, target))));
    }

    /**
     * The loss of the best prediction that does not know the kind: the variance across kinds of the
     * target as the trainer sees it (normalized per token, except Gabor), averaged.
     */
    private static double floor(Kind[] kinds, String target) {
        double[][] t = new double[KINDS][];
        for (int k = 0; k < KINDS; k++) {
            t[k] = kinds[k].target(target);
        }
        double sum = 0;
        for (int j = 0; j < t[0].length; j++) {
            double mean = 0;
            for (double[] x : t) {
                mean += x[j] / KINDS;
            }
            for (double[] x : t) {
                sum += (x[j] - mean) * (x[j] - mean) / KINDS;
            }
        }
        return sum / t[0].length;
    }

    /** One kind: a pixel level and a pattern per target. */
    private static final class Kind {
        final int level;
        final float[] gaborV = new float[32];
        final byte[] contourV = new byte[256];
        final byte[] rgb = new byte[768];
        final float[] gaborD = new float[64];
        final byte[] contourD = new byte[512];
        final byte[] motion = new byte[1536];

        Kind(int k, Random random) {
            level = 30 + 60 * k;
            for (int i = 0; i < 32; i++) {
                gaborV[i] = random.nextFloat();
            }
            for (int i = 0; i < 64; i++) {
                gaborD[i] = random.nextFloat();
            }
            for (int i = 0; i < 256; i++) {
                contourV[i] = (byte) random.nextInt(2);
            }
            for (int i = 0; i < 512; i++) {
                contourD[i] = (byte) random.nextInt(2);
            }
            random.nextBytes(rgb);
            random.nextBytes(motion);
        }

        void add(MaskedBatch.Builder b, BimmConfig config, Random random) {
            int[][] v = split(config.getImageTokens(), config.getVentralMasked(), 1, random);
            b.addVentral(
                    v[0],
                    v[1],
                    pixels(v[0].length * 768, random),
                    repeat(gaborV, v[1].length),
                    repeat(contourV, v[1].length),
                    repeat(rgb, v[1].length));
            int slots = config.getFrames() / BimmConfig.TUBELET;
            int[][] d =
                    split(config.getImageTokens(), config.getDorsalMasked() / slots, slots, random);
            b.addDorsal(
                    d[0],
                    d[1],
                    pixels(d[0].length * 1536, random),
                    repeat(gaborD, d[1].length),
                    repeat(contourD, d[1].length),
                    repeat(motion, d[1].length));
        }

        /** The target of one token as the trainer compares it (SPEC 2). */
        double[] target(String name) {
            switch (name) {
                case "ventral_gabor":
                    return toDouble(gaborV);
                case "dorsal_gabor":
                    return toDouble(gaborD);
                case "ventral_contour":
                    return normalized(contourV, 1);
                case "dorsal_contour":
                    return normalized(contourD, 1);
                case "ventral_rgb":
                    return normalized(rgb, 255);
                case "dorsal_motion":
                    return normalized(motion, 255);
                default:
                    throw new IllegalArgumentException(name);
            }
        }

        /** This kind's level with a little noise. */
        byte[] pixels(int n, Random random) {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) (level + random.nextInt(16));
            }
            return out;
        }
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    /** MAE's per-patch normalization: {@code (v - mean) / sqrt(var + 1e-6)}, var unbiased. */
    private static double[] normalized(byte[] x, double scale) {
        double[] v = new double[x.length];
        double mean = 0;
        for (int i = 0; i < x.length; i++) {
            v[i] = (x[i] & 255) / scale;
            mean += v[i] / x.length;
        }
        double var = 0;
        for (double a : v) {
            var += (a - mean) * (a - mean) / (x.length - 1);
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (v[i] - mean) / Math.sqrt(var + 1e-6);
        }
        return v;
    }

    /** Visible and masked token lists, the same spatial positions masked in every slot. */
    private static int[][] split(int positions, int masked, int slots, Random random) {
        boolean[] mask = new boolean[positions];
        for (int n = 0; n < masked; ) {
            int p = random.nextInt(positions);
            if (!mask[p]) {
                mask[p] = true;
                n++;
            }
        }
        int[] vis = new int[slots * (positions - masked)];
        int[] msk = new int[slots * masked];
        int nv = 0;
        int nm = 0;
        for (int t = 0; t < slots; t++) {
            for (int p = 0; p < positions; p++) {
                if (mask[p]) {
                    msk[nm++] = t * positions + p;
                } else {
                    vis[nv++] = t * positions + p;
                }
            }
        }
        return new int[][] {vis, msk};
    }

    private static float[] repeat(float[] x, int n) {
        float[] out = new float[x.length * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, 0, out, i * x.length, x.length);
        }
        return out;
    }

    private static byte[] repeat(byte[] x, int n) {
        byte[] out = new byte[x.length * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, 0, out, i * x.length, x.length);
        }
        return out;
    }
}
