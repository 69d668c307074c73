package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.nn.Autocast;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bfloat16 mixed precision on the CPU (libtorch runs bf16 there): against float32 on the same
 * weights and batch, in an overfit run, and across checkpoints.
 */
class MixedPrecisionTest {

    /** Smaller than micro (D 48, depth 3): the machine running the tests is shared. */
    private static final BimmConfig CONFIG =
            TestConfigs.micro().optEmbedDim(48, 3).optSplits(1, 2, 3).build();

    private static final TrainOptions OPTIONS =
            TrainOptions.builder()
                    .optStage(Stage.JOINT)
                    .optBaseLr(1e-3)
                    .optBatchSize(256)
                    .optWeightDecay(0f)
                    .optClipGradNorm(1f)
                    .build();

    @TempDir Path dir;

    @Test
    void theBfloat16CastKeepsTheAutogradGraphWhereDjlsToTypeCutsIt() {
        Engine.getInstance();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray w = m.create(new float[] {1f, -2f, 3.01f});
            w.setRequiresGradient(true);
            NDArray y = Autocast.toBf16(w); // what the replica store hands out
            assertThat(Autocast.isBf16(y)).isTrue();
            NDArray loss = Autocast.toFloat32(y.mul(y)).sum(); // sum of w^2
            JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(loss.getShape()), false, false);
            NDArray g = w.getGradient();
            assertThat(g.getDataType()).isEqualTo(DataType.FLOAT32);
            // 3.01 rounds to 3.015625 in bf16 (8 significant bits): the product ran in bf16, and
            // its gradient 2y reached the float32 leaf
            assertThat(g.toFloatArray()).containsExactly(2f, -4f, 6.03125f);

            // DJL 0.36 casts under a NoGradGuard: the graph ends there (why Autocast exists)
            NDArray v = m.create(new float[] {1f, 2f});
            v.setRequiresGradient(true);
            NDArray cut = v.toType(DataType.FLOAT64, false).sum();
            assertThatThrownBy(
                            () ->
                                    JniUtils.backward(
                                            (PtNDArray) cut,
                                            (PtNDArray) m.ones(cut.getShape(), DataType.FLOAT64),
                                            false,
                                            false))
                    .hasMessageContaining("does not require grad");
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Losses of one step and the gradients at the same weights. */
    private record Probe(Map<String, Float> losses, Map<String, float[]> grads) {}

    private static Probe probe(Precision precision, MaskedBatch batch) {
        Engine.getInstance().setRandomSeed(7);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer =
                        new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), precision)) {
            Map<String, float[]> grads = trainer.gradients(batch);
            StepResult r = trainer.step(batch);
            Map<String, Float> losses = new LinkedHashMap<>(r.losses());
            losses.put("total", r.total());
            return new Probe(losses, grads);
        }
    }

    @Test
    void bfloat16LossesAndGradientsMatchFloat32OnTheSameWeights() {
        MaskedBatch batch = new SyntheticBatches(CONFIG, 11).next(2);
        Probe fp32 = probe(Precision.FP32, batch);
        Probe bf16 = probe(Precision.BF16, batch);
        assertThat(bf16.losses().keySet()).isEqualTo(fp32.losses().keySet());
        for (String k : fp32.losses().keySet()) {
            float a = fp32.losses().get(k);
            assertThat(bf16.losses().get(k)).as(k).isCloseTo(a, within(0.01f * Math.abs(a)));
        }
        // bf16 rounds differently from fp32: identical gradients would mean no bf16 ran
        boolean anyDifferent = false;
        for (String name : fp32.grads().keySet()) {
            float[] a = fp32.grads().get(name);
            float[] b = bf16.grads().get(name);
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int j = 0; j < a.length; j++) {
                dot += a[j] * (double) b[j];
                na += a[j] * (double) a[j];
                nb += b[j] * (double) b[j];
                anyDifferent |= a[j] != b[j];
            }
            if (na == 0) {
                // e.g. the q bias where a branch has a single visible token (softmax over one key)
                assertThat(nb).as(name + " is zero in fp32, so in bf16").isLessThan(1e-12);
                continue;
            }
            assertThat(dot / Math.sqrt(na * nb)).as(name + " cosine").isGreaterThan(0.99);
        }
        assertThat(anyDifferent).as("the bf16 step really ran in bf16").isTrue();
    }

    private static float overfit(Precision precision, MaskedBatch batch, int steps) {
        Engine.getInstance().setRandomSeed(7);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer =
                        new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), precision)) {
            float last = 0;
            for (int i = 0; i < steps; i++) {
                last = trainer.step(batch).total();
            }
            return last;
        }
    }

    @Test
    void aBfloat16OverfitRunReachesTheFloat32Loss() {
        MaskedBatch batch = new SyntheticBatches(CONFIG, 5).next(2);
        float first = probe(Precision.FP32, batch).losses().get("total");
        float fp32 = overfit(Precision.FP32, batch, OVERFIT_STEPS);
        float bf16 = overfit(Precision.BF16, batch, OVERFIT_STEPS);
        assertThat(fp32).as("fp32 overfits").isLessThan(0.7f * first);
        // stated tolerance: within 5% of the starting loss of each other
        assertThat(bf16).isCloseTo(fp32, within(0.05f * first));
    }

    private static final int OVERFIT_STEPS = 20;

    private static Map<String, float[]> snapshot(Bimm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void aBfloat16CheckpointResumesBitExactlyInBfloat16() throws IOException {
        SyntheticBatches data = new SyntheticBatches(CONFIG, 3);
        List<MaskedBatch> batches = List.of(data.next(2), data.next(2), data.next(2));
        Path ckpt;
        Map<String, float[]> straight;
        List<Float> straightLosses = new ArrayList<>();
        Engine.getInstance().setRandomSeed(1);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), Precision.BF16);
            trainer.step(batches.get(0));
            ckpt = Checkpoints.save(trainer, dir, trainer.step(batches.get(1)).losses());
            straightLosses.add(trainer.step(batches.get(2)).total());
            straightLosses.add(trainer.step(batches.get(0)).total());
            straight = snapshot(model);
        }
        Engine.getInstance().setRandomSeed(99); // a different init, overwritten by the load
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), Precision.BF16);
            Checkpoints.load(trainer, ckpt);
            assertThat(trainer.step(batches.get(2)).total()).isEqualTo(straightLosses.get(0));
            assertThat(trainer.step(batches.get(0)).total()).isEqualTo(straightLosses.get(1));
            Map<String, float[]> resumed = snapshot(model);
            for (String k : straight.keySet()) {
                assertThat(resumed.get(k)).as(k).containsExactly(straight.get(k));
            }
        }
    }

    /** The loss of one step on {@code batch} after loading {@code ckpt} in {@code precision}. */
    private static float resumedLoss(Path ckpt, Precision precision, MaskedBatch batch)
            throws IOException {
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), precision);
            Checkpoints.load(trainer, ckpt);
            assertThat(trainer.getStep()).isEqualTo(2);
            StepResult r = trainer.step(batch);
            assertThat(r.skipped()).isFalse();
            return r.total();
        }
    }

    @Test
    void checkpointsMoveBetweenBfloat16AndFloat32() throws IOException {
        SyntheticBatches data = new SyntheticBatches(CONFIG, 4);
        MaskedBatch b1 = data.next(2);
        MaskedBatch b2 = data.next(2);
        Map<Precision, Path> ckpts = new LinkedHashMap<>();
        for (Precision p : Precision.values()) {
            Engine.getInstance().setRandomSeed(1);
            try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
                BimmTrainer trainer = new BimmTrainer(model, OPTIONS, List.of(Device.cpu()), p);
                trainer.step(b1);
                trainer.step(b1);
                ckpts.put(p, Checkpoints.save(trainer, dir.resolve(p.label()), Map.of()));
            }
        }
        for (Precision saved : Precision.values()) {
            float asFp32 = resumedLoss(ckpts.get(saved), Precision.FP32, b2);
            float asBf16 = resumedLoss(ckpts.get(saved), Precision.BF16, b2);
            // same weights, other arithmetic: the losses agree as a bf16 and an fp32 step do
            assertThat(asBf16).as("saved in " + saved).isCloseTo(asFp32, within(0.01f * asFp32));
        }
    }
}
