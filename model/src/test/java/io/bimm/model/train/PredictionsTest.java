package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.TestConfigs;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PredictionsTest {

    /** Ascending {@code k} of {@code n} indices and the rest, from a seeded shuffle. */
    private static int[][] split(int n, int k, Random rnd) {
        boolean[] visible = new boolean[n];
        int chosen = 0;
        while (chosen < k) {
            int i = rnd.nextInt(n);
            if (!visible[i]) {
                visible[i] = true;
                chosen++;
            }
        }
        int[] vis = new int[k];
        int[] masked = new int[n - k];
        for (int i = 0, a = 0, b = 0; i < n; i++) {
            if (visible[i]) {
                vis[a++] = i;
            } else {
                masked[b++] = i;
            }
        }
        return new int[][] {vis, masked};
    }

    private static byte[] bytes(int n, int bound, Random rnd) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rnd.nextInt(bound);
        }
        return b;
    }

    private static float[] floats(int n, Random rnd) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = rnd.nextFloat();
        }
        return f;
    }

    /**
     * SPEC 2's per-token normalization of the values divided by {@code divisor} (255 for RGB and
     * motion), computed here in double, independently of the model.
     */
    private static double mse(float[] pred, byte[] target, int dim, double divisor) {
        double sum = 0;
        for (int tok = 0; tok < target.length / dim; tok++) {
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                mean += (target[tok * dim + i] & 0xFF) / divisor;
            }
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = (target[tok * dim + i] & 0xFF) / divisor - mean;
                var += d * d;
            }
            double std = Math.sqrt(var / (dim - 1) + 1e-6);
            for (int i = 0; i < dim; i++) {
                double d =
                        pred[tok * dim + i]
                                - ((target[tok * dim + i] & 0xFF) / divisor - mean) / std;
                sum += d * d;
            }
        }
        return sum / target.length;
    }

    private static double mse(float[] pred, float[] target) {
        double sum = 0;
        for (int i = 0; i < target.length; i++) {
            double d = pred[i] - target[i];
            sum += d * d;
        }
        return sum / target.length;
    }

    @Test
    void predictionsReproduceTheModelsOwnLossesAgainstTargetsNormalizedHere() {
        Engine.getInstance().setRandomSeed(3);
        BimmConfig config = TestConfigs.micro().build();
        Random rnd = new Random(5);
        int b = 2;
        int[][][] v = new int[b][][];
        int[][][] d = new int[b][][];
        MaskedBatch.Builder builder = MaskedBatch.builder(config);
        byte[][] vContour = new byte[b][];
        byte[][] vRgb = new byte[b][];
        float[][] vGabor = new float[b][];
        byte[][] dContour = new byte[b][];
        byte[][] dMotion = new byte[b][];
        float[][] dGabor = new float[b][];
        int mv = config.getVentralMasked();
        int md = config.getDorsalMasked();
        for (int i = 0; i < b; i++) {
            v[i] = split(config.getImageTokens(), config.getVentralVisible(), rnd);
            d[i] = split(config.getVideoTokens(), config.getDorsalVisible(), rnd);
            vGabor[i] = floats(mv * 32, rnd);
            vContour[i] = bytes(mv * 256, 2, rnd);
            vRgb[i] = bytes(mv * 768, 256, rnd);
            dGabor[i] = floats(md * 64, rnd);
            dContour[i] = bytes(md * 512, 2, rnd);
            dMotion[i] = bytes(md * 1536, 256, rnd);
            builder.addVentral(
                    v[i][0],
                    v[i][1],
                    bytes(v[i][0].length * 768, 256, rnd),
                    vGabor[i],
                    vContour[i],
                    vRgb[i]);
            builder.addDorsal(
                    d[i][0],
                    d[i][1],
                    bytes(d[i][0].length * 1536, 256, rnd),
                    dGabor[i],
                    dContour[i],
                    dMotion[i]);
        }
        MaskedBatch batch = builder.build();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            Map<Target, float[]> pred = Predictions.predict(model, batch, Stage.JOINT);
            assertThat(pred).hasSize(6);
            assertThat(pred.get(Target.DORSAL_MOTION)).hasSize(b * md * 1536);

            Map<String, Float> losses = Predictions.losses(model, batch, Stage.JOINT);
            assertThat(losses).hasSize(7).containsKey("total");
            assertThat(losses.get("total"))
                    .isCloseTo(
                            (float)
                                    losses.entrySet().stream()
                                            .filter(e -> !e.getKey().equals("total"))
                                            .mapToDouble(Map.Entry::getValue)
                                            .sum(),
                            org.assertj.core.data.Offset.offset(1e-4f));
            for (Map.Entry<String, Float> loss : losses.entrySet()) {
                if (loss.getKey().equals("total")) {
                    continue;
                }
                Target t = Target.valueOf(loss.getKey().toUpperCase(java.util.Locale.ROOT));
                double mine =
                        switch (t) {
                            case VENTRAL_GABOR -> mse(pred.get(t), concat(vGabor));
                            case DORSAL_GABOR -> mse(pred.get(t), concat(dGabor));
                            case VENTRAL_CONTOUR -> mse(pred.get(t), concat(vContour), 256, 1);
                            case VENTRAL_RGB -> mse(pred.get(t), concat(vRgb), 768, 255);
                            case DORSAL_CONTOUR -> mse(pred.get(t), concat(dContour), 512, 1);
                            case DORSAL_MOTION -> mse(pred.get(t), concat(dMotion), 1536, 255);
                        };
                assertThat(mine).as(t.key()).isCloseTo(loss.getValue(), within(1e-4 * mine));
            }
        }
    }

    private static float[] concat(float[][] parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static byte[] concat(byte[][] parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
