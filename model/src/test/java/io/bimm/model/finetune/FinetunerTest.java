package io.bimm.model.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.TestConfigs;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The finetuning building blocks against independent computations. */
class FinetunerTest {

    @Test
    void labelSmoothedCrossEntropyMatchesTheFormula() {
        float[] logits = {2f, -1f, 0.5f, 0f, 1f, 3f};
        int[] labels = {0, 2};
        double eps = 0.1;
        double expected = 0;
        for (int i = 0; i < 2; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 3; j++) {
                max = Math.max(max, logits[i * 3 + j]);
            }
            double z = 0;
            for (int j = 0; j < 3; j++) {
                z += Math.exp(logits[i * 3 + j] - max);
            }
            for (int j = 0; j < 3; j++) {
                double logp = logits[i * 3 + j] - max - Math.log(z);
                double q = eps / 3 + (j == labels[i] ? 1 - eps : 0);
                expected -= q * logp / 2;
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray l = m.create(logits, new Shape(2, 3));
            float loss = Finetuner.smoothedCrossEntropy(l, labels, eps).getFloat();
            assertThat((double) loss).isCloseTo(expected, within(1e-5));
            // without smoothing it is the plain cross-entropy of the true class
            float plain = Finetuner.smoothedCrossEntropy(l, new int[] {0, 0}, 0).getFloat();
            double ce0 =
                    -(2 - Math.log(Math.exp(2) + Math.exp(-1) + Math.exp(0.5)))
                            - (0 - Math.log(1 + Math.exp(1) + Math.exp(3)));
            assertThat((double) plain).isCloseTo(ce0 / 2, within(1e-5));
        }
    }

    @Test
    void layerDecayScalesFollowBeitAndCoverEveryEncoderParameterOnce() {
        BimmConfig config = TestConfigs.micro().build(); // depth 6
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            ClassifierHead head = new ClassifierHead(config.getEmbedDim(), 4);
            head.initialize(
                    model.getManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 96));
            List<LayerDecay.Group> groups =
                    LayerDecay.groups(model.getEncoder(Branch.DORSAL), head, 0.7, false);
            for (LayerDecay.Group g : groups) {
                double expected;
                if (g.name().startsWith("patch_embed")) {
                    expected = Math.pow(0.7, 7);
                } else if (g.name().startsWith("blocks.")) {
                    int i = Integer.parseInt(g.name().split("\\.")[1]);
                    expected = Math.pow(0.7, 6 - i);
                } else {
                    expected = 1; // norm, fc_norm, head
                }
                assertThat(g.lrScale()).as(g.name()).isCloseTo(expected, within(1e-12));
            }
            Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (LayerDecay.Group g : groups) {
                assertThat(seen.add(g.parameter())).as("listed twice: " + g.name()).isTrue();
            }
            // every parameter of the dorsal path: its own encoder minus the unused stage norms
            // 0 and 1, plus the shared blocks, plus the four head parameters
            long encoderParams =
                    model.getEncoder(Branch.DORSAL).getParameters().size()
                            - 4
                            + model
                                    .getEncoder(Branch.DORSAL)
                                    .getBlocks()
                                    .subList(0, config.getSharedBlocks())
                                    .stream()
                                    .mapToLong(b -> b.getParameters().size())
                                    .sum();
            assertThat(groups).hasSize((int) encoderParams + 4);
            assertThat(LayerDecay.groups(model.getEncoder(Branch.DORSAL), head, 0.7, true))
                    .extracting(LayerDecay.Group::name)
                    .containsExactly("fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias");
        }
    }

    @Test
    void pooledFeaturesAreTheTokenMeanAndIndependentOfTheBatch() {
        BimmConfig config = TestConfigs.micro().build(); // S 32, T 4: 8 video tokens
        Random random = new Random(3);
        int n = config.getVideoTokens();
        byte[] a = new byte[n * 1536];
        byte[] b = new byte[n * 1536];
        random.nextBytes(a);
        random.nextBytes(b);
        byte[] ab = new byte[2 * a.length];
        System.arraycopy(a, 0, ab, 0, a.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            int d = config.getEmbedDim();
            float[] both = EncoderFeatures.extract(model, Branch.DORSAL, ab, 2);
            float[] alone = EncoderFeatures.extract(model, Branch.DORSAL, b, 1);
            for (int j = 0; j < d; j++) {
                assertThat(both[d + j]).isCloseTo(alone[j], within(1e-5f));
            }
            try (NDManager scope = model.getManager().newSubManager()) {
                ParameterStore ps = new ParameterStore(scope, false);
                float[] tokens =
                        EncoderFeatures.tokens(
                                        model,
                                        ps,
                                        Branch.DORSAL,
                                        EncoderFeatures.pixels(scope, a, 1, Branch.DORSAL),
                                        false)
                                .toFloatArray(); // (1, N, D)
                for (int j = 0; j < d; j++) {
                    double mean = 0;
                    for (int t = 0; t < n; t++) {
                        mean += tokens[t * d + j] / n;
                    }
                    assertThat((double) both[j]).isCloseTo(mean, within(1e-5));
                }
                // final LayerNorm output: each token has mean ~0 over D before its affine (1, 0)
                double tokenMean = 0;
                for (int j = 0; j < d; j++) {
                    tokenMean += tokens[j] / d;
                }
                assertThat(tokenMean).isCloseTo(0, within(1e-4));
            }
        }
    }

    @Test
    void patchifyPlacesTokensRowMajorWithFramesInsideTubelets() {
        int s = 32;
        byte[][] frames = new byte[4][s * s * 3];
        for (int f = 0; f < 4; f++) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int i = (y * s + x) * 3;
                    frames[f][i] = (byte) f;
                    frames[f][i + 1] = (byte) y;
                    frames[f][i + 2] = (byte) x;
                }
            }
        }
        byte[] tub = Patchify.tubelets(frames, s); // N = 2 * 4 tokens
        assertThat(tub).hasSize(8 * 2 * 16 * 16 * 3);
        // token 7 = time slot 1, h 1, w 1; its frame 1 is frame 3; pixel (5, 9)
        int off = ((7 * 2 + 1) * 16 * 16 + 5 * 16 + 9) * 3;
        assertThat(tub[off]).isEqualTo((byte) 3);
        assertThat(tub[off + 1]).isEqualTo((byte) (16 + 5));
        assertThat(tub[off + 2]).isEqualTo((byte) (16 + 9));
        byte[] img = Patchify.patches(frames[2], s);
        int o2 = ((2 * 16 + 3) * 16 + 4) * 3; // token 2 = h 1, w 0; pixel (3, 4)
        assertThat(img[o2]).isEqualTo((byte) 2);
        assertThat(img[o2 + 1]).isEqualTo((byte) 19);
        assertThat(img[o2 + 2]).isEqualTo((byte) 4);
    }

    @Test
    void linearProbeSeparatesLinearlySeparableFeatures() {
        BimmConfig config = TestConfigs.micro().build();
        int d = config.getEmbedDim();
        int classes = 3;
        Random random = new Random(7);
        float[][] centers = new float[classes][d];
        for (float[] c : centers) {
            for (int j = 0; j < d; j++) {
                c[j] = (float) random.nextGaussian();
            }
        }
        int n = 48;
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = centers[y[i]][j] + 0.5f * (float) random.nextGaussian();
            }
        }
        Engine.getInstance().setRandomSeed(1);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            FinetuneOptions o =
                    FinetuneOptions.linearProbe().optBatchSize(16).setSchedule(3, 60).build();
            Finetuner ft = new Finetuner(model, Branch.DORSAL, classes, o);
            float first = ft.stepFeatures(slice(x, 0, 16, d), slice(y, 0, 16));
            float last = first;
            for (int s = 1; s < 60; s++) {
                int from = (s % 3) * 16;
                last = ft.stepFeatures(slice(x, from, 16, d), slice(y, from, 16));
            }
            assertThat((double) first).isCloseTo(Math.log(classes), within(0.05));
            assertThat(last).isLessThan(0.6f * first);
            Accuracy acc = new Accuracy();
            acc.add(ft.logitsFromFeatures(x, n), classes, y);
            assertThat(acc.top1()).isEqualTo(1.0);
            assertThat(ft.getStep()).isEqualTo(60);
        }
    }

    @Test
    void topKCountsTiesAgainstTheLabel() {
        float[] logits = {0.1f, 0.5f, 0.5f, 0.2f, 0.9f, 0.0f};
        assertThat(Accuracy.inTopK(logits, 6, 0, 4, 1)).isTrue();
        assertThat(Accuracy.inTopK(logits, 6, 0, 1, 1)).isFalse();
        assertThat(Accuracy.inTopK(logits, 6, 0, 2, 2)).isFalse(); // tie with 1 ranks first
        assertThat(Accuracy.inTopK(logits, 6, 0, 2, 3)).isTrue();
        assertThat(Accuracy.inTopK(logits, 6, 0, 5, 5)).isFalse();
        Accuracy a = new Accuracy();
        a.add(logits, 6, new int[] {4});
        a.add(new float[] {1, 0, 0, 0, 0, 0}, 6, new int[] {5});
        assertThat(a.top1()).isEqualTo(0.5);
        assertThat(a.top5()).isEqualTo(0.5);
    }

    private static float[] slice(float[] a, int from, int n, int d) {
        float[] out = new float[n * d];
        System.arraycopy(a, from * d, out, 0, n * d);
        return out;
    }

    private static int[] slice(int[] a, int from, int n) {
        int[] out = new int[n];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }
}
