package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingRulesTest {

    private static final BimmConfig CONFIG = TestConfigs.micro().build();

    @Test
    void scheduleWarmsUpLinearlyThenFollowsTheCosine() {
        double peak = LrSchedule.peakLr(1.5e-4, 512);
        assertThat(peak).isCloseTo(3e-4, within(1e-12));
        LrSchedule cos = LrSchedule.cosine(peak, 1e-6, 10, 110);
        assertThat(cos.lr(0)).isZero();
        assertThat(cos.lr(5)).isCloseTo(peak / 2, within(1e-12));
        assertThat(cos.lr(10)).isCloseTo(peak, within(1e-12));
        assertThat(cos.lr(60)).isCloseTo(1e-6 + (peak - 1e-6) / 2, within(1e-12));
        assertThat(cos.lr(110)).isCloseTo(1e-6, within(1e-12));
        assertThat(cos.lr(1000)).isCloseTo(1e-6, within(1e-12));
        LrSchedule constant = LrSchedule.constant(peak, 4);
        assertThat(constant.lr(2)).isCloseTo(peak / 2, within(1e-12));
        assertThat(constant.lr(1_000_000)).isEqualTo(peak);
    }

    @Test
    void weightDecaySkipsOneDimensionalParametersBiasesAndMaskTokens() {
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            Map<String, Parameter> params = model.namedParameters();
            assertThat(AdamW.decays("x", params.get("shared_block_0.attn.qkv_weight"))).isTrue();
            assertThat(AdamW.decays("x", params.get("ventral.patch_embed.proj_weight"))).isTrue();
            for (String name : params.keySet()) {
                Parameter p = params.get(name);
                if (name.endsWith("bias") || name.contains("mask_token") || name.contains("norm")) {
                    assertThat(AdamW.decays(name, p)).as(name).isFalse();
                }
            }
        }
    }

    @Test
    void adamwMatchesTheClosedFormOfTheFirstUpdate() {
        Engine.getInstance().setRandomSeed(8);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(
                            model,
                            TrainOptions.builder()
                                    .optStage(Stage.VENTRAL)
                                    .optBaseLr(0.256)
                                    .optBatchSize(1)
                                    .optWeightDecay(0.5f)
                                    .build());
            double lr = 0.256 / 256;
            Parameter w = model.namedParameters().get("decoder_ventral_rgb.pred_weight");
            MaskedBatch batch = new SyntheticBatches(CONFIG, 9).next(1);
            float[] g = gradient(model, batch, w);
            float[] before = w.getArray().toFloatArray();
            trainer.step(batch);
            float[] after = w.getArray().toFloatArray();
            // first AdamW step: m_hat = g, v_hat = g^2, so w (1 - lr wd) - lr g / (|g| + eps)
            for (int i = 0; i < before.length; i++) {
                double expected = before[i] * (1 - lr * 0.5) - lr * g[i] / (Math.abs(g[i]) + 1e-8);
                assertThat((double) after[i]).isCloseTo(expected, within(1e-7));
            }
            assertThat(after).isNotEqualTo(before);
        }
    }

    private static float[] gradient(Bimm model, MaskedBatch batch, Parameter p) {
        try (NDManager scope = model.getManager().newSubManager()) {
            try (GradientCollector gc = model.getManager().getEngine().newGradientCollector()) {
                gc.backward(
                        model.forward(
                                        new ParameterStore(scope, false),
                                        batch.toNDList(scope, Stage.VENTRAL),
                                        true)
                                .head());
            }
            NDArray grad = p.getArray().getGradient();
            grad.attach(scope);
            float[] out = grad.toFloatArray();
            for (Parameter q : model.parametersOf(Stage.VENTRAL)) {
                JniUtils.zeroGrad((PtNDArray) q.getArray());
            }
            return out;
        }
    }

    @Test
    void nanGuardSkipsTheUpdateAndCountsIt() {
        Engine.getInstance().setRandomSeed(8);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, TrainOptions.builder().build());
            Parameter p = model.namedParameters().get("decoder_dorsal_motion.pred_bias");
            float[] nan = new float[(int) p.getShape().size()];
            Arrays.fill(nan, Float.NaN);
            p.getArray().set(FloatBuffer.wrap(nan));
            Parameter other = model.namedParameters().get("shared_block_0.mlp.fc1_weight");
            float[] before = other.getArray().toFloatArray();
            StepResult r = trainer.step(new SyntheticBatches(CONFIG, 1).next(1));
            assertThat(r.skipped()).isTrue();
            assertThat(trainer.getSkippedSteps()).isEqualTo(1);
            assertThat(trainer.getStep()).isZero();
            assertThat(other.getArray().toFloatArray()).containsExactly(before);
            // gradients were reset: a healthy step afterwards is not polluted
            p.getArray().set(FloatBuffer.wrap(new float[nan.length]));
            StepResult ok = trainer.step(new SyntheticBatches(CONFIG, 1).next(1));
            assertThat(ok.skipped()).isFalse();
            assertThat(ok.gradNorm()).isFinite();
        }
    }

    @Test
    void ventralStageTrainsOnVentralOnlyBatchesAndLeavesTheDorsalBranchAlone() {
        Engine.getInstance().setRandomSeed(8);
        BimmConfig config = TestConfigs.micro().optTarget(Target.VENTRAL_GABOR, false).build();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.VENTRAL).build());
            Parameter dorsal = model.namedParameters().get("dorsal.block_5.mlp.fc1_weight");
            float[] before = dorsal.getArray().toFloatArray();
            SyntheticBatches data = new SyntheticBatches(config, 1);
            MaskedBatch full = data.next(1);
            StepResult r = trainer.step(full);
            assertThat(r.losses()).containsOnlyKeys("ventral_contour", "ventral_rgb");
            assertThat(r.total())
                    .isCloseTo(
                            r.losses().get("ventral_contour") + r.losses().get("ventral_rgb"),
                            within(1e-5f));
            assertThat(dorsal.getArray().toFloatArray()).containsExactly(before);
        }
    }

    @Test
    void batchBuilderRejectsWrongSizesWithClearMessages() {
        MaskedBatch.Builder b = MaskedBatch.builder(CONFIG);
        int kv = CONFIG.getVentralVisible();
        int mv = CONFIG.getVentralMasked();
        assertThat(kv).isEqualTo(1); // S = 32: 4 tokens, 3 masked
        assertThatThrownBy(
                        () ->
                                b.addVentral(
                                        new int[] {0},
                                        new int[] {1, 2, 3},
                                        new byte[767],
                                        new float[mv * 32],
                                        new byte[mv * 256],
                                        new byte[mv * 768]))
                .hasMessage("ventral sample 0: pixels has 767 values, expected 768.");
        assertThatThrownBy(
                        () ->
                                b.addVentral(
                                        new int[] {1},
                                        new int[] {0, 1, 3},
                                        new byte[768],
                                        new float[mv * 32],
                                        new byte[mv * 256],
                                        new byte[mv * 768]))
                .hasMessage("ventral sample 0: token 1 is both visible and masked.");
        assertThatThrownBy(() -> MaskedBatch.builder(CONFIG).build())
                .hasMessageContaining("at least one sample");
        MaskedBatch ventralOnly =
                b.addVentral(
                                new int[] {2},
                                new int[] {0, 1, 3},
                                new byte[768],
                                new float[mv * 32],
                                new byte[mv * 256],
                                new byte[mv * 768])
                        .build();
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            assertThatThrownBy(
                            () ->
                                    new BimmTrainer(model, TrainOptions.builder().build())
                                            .step(ventralOnly))
                    .hasMessage(
                            "Stage joint needs the dorsal part of every sample, but this batch has"
                                    + " none.");
        }
        assertThat(new Shape(CONFIG.getDorsalMasked())).isEqualTo(new Shape(2 * 3));
    }

    @Test
    void totalLossWeighsTargetsAndScalesTheDorsalBranchByLambda() {
        Engine.getInstance().setRandomSeed(8);
        BimmConfig config = TestConfigs.micro().optWeights(1f, 2f, 3f).optLambda(0.5f).build();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            StepResult r =
                    new BimmTrainer(model, TrainOptions.builder().build())
                            .step(new SyntheticBatches(config, 1).next(2));
            Map<String, Float> l = r.losses();
            double ventral =
                    l.get("ventral_gabor")
                            + 2 * l.get("ventral_contour")
                            + 3 * l.get("ventral_rgb");
            double dorsal =
                    l.get("dorsal_gabor")
                            + 2 * l.get("dorsal_contour")
                            + 3 * l.get("dorsal_motion");
            assertThat((double) r.total()).isCloseTo(ventral + 0.5 * dorsal, within(1e-4));
            // normalized targets start near unit variance, Gabor targets (uniform in [0,1)) do not
            assertThat(l.get("ventral_rgb")).isBetween(0.5f, 3f);
        }
    }
}
