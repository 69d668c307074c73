package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallelism on CPU replicas (DJL has one CPU device, so the replicas share it): a step over
 * several replicas must be the full-batch step, the same losses, gradient norm and parameters.
 */
class DataParallelTest {

    private static final BimmConfig CONFIG = TestConfigs.micro().build();
    private static final TrainOptions OPTIONS =
            TrainOptions.builder().optStage(Stage.JOINT).optBatchSize(5).optBaseLr(1e-2).build();

    @TempDir Path dir;

    /** Losses, gradient norms and final parameters of {@code steps} steps on {@code batches}. */
    private record Run(
            List<StepResult> results, Map<String, float[]> initial, Map<String, float[]> params) {}

    private static Run train(List<Device> devices, boolean concurrent, List<MaskedBatch> batches) {
        Engine.getInstance().setRandomSeed(7);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer = new BimmTrainer(model, OPTIONS, devices)) {
            trainer.setConcurrent(concurrent);
            Map<String, float[]> initial = snapshot(model);
            List<StepResult> results = new ArrayList<>();
            for (MaskedBatch b : batches) {
                results.add(trainer.step(b));
            }
            return new Run(results, initial, snapshot(model));
        }
    }

    private static Map<String, float[]> snapshot(Bimm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }

    private static void assertSameStep(Run single, Run parallel) {
        for (int i = 0; i < single.results().size(); i++) {
            StepResult a = single.results().get(i);
            StepResult b = parallel.results().get(i);
            assertThat(b.skipped()).isFalse();
            assertThat(b.total()).isCloseTo(a.total(), within(1e-5f * Math.abs(a.total())));
            assertThat(b.gradNorm()).isCloseTo(a.gradNorm(), within(1e-4f * a.gradNorm()));
            assertThat(b.losses().keySet()).isEqualTo(a.losses().keySet());
            for (String k : a.losses().keySet()) {
                float la = a.losses().get(k);
                assertThat(b.losses().get(k)).as(k).isCloseTo(la, within(1e-5f * Math.abs(la)));
            }
        }
        // AdamW moves each weight by about lr per step whatever the gradient's size, so a weight
        // whose gradient is near eps (1e-8) turns float noise of the summation order into a
        // visible difference: nearly all weights must agree to 0.1% of a step, every one to 5%
        double lr = LrSchedule.peakLr(1e-2, 5);
        double maxDiff = 0;
        double maxMove = 0;
        long off = 0;
        long count = 0;
        for (String name : single.params().keySet()) {
            float[] x = single.params().get(name);
            float[] y = parallel.params().get(name);
            float[] x0 = single.initial().get(name);
            for (int j = 0; j < x.length; j++) {
                double d = Math.abs(x[j] - y[j]);
                maxDiff = Math.max(maxDiff, d);
                maxMove = Math.max(maxMove, Math.abs(x[j] - x0[j]));
                off += d > lr * 1e-3 ? 1 : 0;
            }
            count += x.length;
        }
        assertThat(maxMove).as("the updates moved the weights by about lr").isGreaterThan(lr);
        assertThat(maxDiff).as("largest parameter difference").isLessThan(lr * 0.05);
        assertThat(off).as("weights off by more than 0.1%% of a step").isLessThan(count / 1000);
    }

    private static Map<String, float[]> gradients(List<Device> devices, MaskedBatch batch) {
        Engine.getInstance().setRandomSeed(7);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer = new BimmTrainer(model, OPTIONS, devices)) {
            trainer.setConcurrent(devices.size() > 1);
            return trainer.gradients(batch);
        }
    }

    @Test
    void summedReplicaGradientsAreTheFullBatchGradient() {
        MaskedBatch batch = new SyntheticBatches(CONFIG, 10).next(5);
        Map<String, float[]> full = gradients(List.of(Device.cpu()), batch);
        Map<String, float[]> split =
                gradients(List.of(Device.cpu(), Device.cpu(), Device.cpu()), batch);
        assertThat(split.keySet()).isEqualTo(full.keySet());
        double total = 0;
        for (String name : full.keySet()) {
            float[] a = full.get(name);
            float[] b = split.get(name);
            double diff = 0;
            double norm = 0;
            for (int j = 0; j < a.length; j++) {
                diff += (a[j] - b[j]) * (double) (a[j] - b[j]);
                norm += a[j] * (double) a[j];
            }
            total += norm;
            // relative to the tensor's norm, or absolute for the few that are (nearly) zero
            assertThat(Math.sqrt(diff)).as(name).isLessThan(1e-5 * Math.sqrt(norm) + 1e-9);
        }
        assertThat(total).as("the gradient is not trivially zero").isGreaterThan(1e-6);
    }

    @Test
    void twoReplicasOnOneCpuStepLikeTheFullBatch() {
        SyntheticBatches data = new SyntheticBatches(CONFIG, 11);
        List<MaskedBatch> batches = List.of(data.next(4), data.next(4));
        Run single = train(List.of(Device.cpu()), false, batches);
        Run two = train(List.of(Device.cpu(), Device.cpu()), false, batches);
        assertSameStep(single, two);
    }

    @Test
    void threeConcurrentReplicasWithUnevenSlicesStepLikeTheFullBatch() {
        // 5 samples over 3 replicas: slices of 2, 2 and 1, weighted 2/5, 2/5, 1/5; each on its
        // own thread (grad mode is per thread in PyTorch)
        SyntheticBatches data = new SyntheticBatches(CONFIG, 12);
        List<MaskedBatch> batches = List.of(data.next(5), data.next(5));
        Run single = train(List.of(Device.cpu()), false, batches);
        Run three = train(List.of(Device.cpu(), Device.cpu(), Device.cpu()), true, batches);
        assertSameStep(single, three);
    }

    @Test
    void checkpointOfAParallelTrainerResumesOnOneDevice() throws Exception {
        SyntheticBatches data = new SyntheticBatches(CONFIG, 13);
        MaskedBatch b1 = data.next(4);
        MaskedBatch b2 = data.next(4);
        Path ckpt;
        Map<String, float[]> parallelAfter;
        Engine.getInstance().setRandomSeed(3);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer =
                        new BimmTrainer(model, OPTIONS, List.of(Device.cpu(), Device.cpu()))) {
            StepResult r = trainer.step(b1);
            ckpt = Checkpoints.save(trainer, dir, r.losses());
            trainer.step(b2);
            parallelAfter = snapshot(model);
        }
        Engine.getInstance().setRandomSeed(4);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu());
                BimmTrainer trainer = new BimmTrainer(model, OPTIONS)) {
            Checkpoints.load(trainer, ckpt);
            assertThat(trainer.getSamplesSeen()).isEqualTo(4);
            trainer.step(b2);
            Map<String, float[]> singleAfter = snapshot(model);
            for (String name : singleAfter.keySet()) {
                float[] x = singleAfter.get(name);
                float[] y = parallelAfter.get(name);
                for (int j = 0; j < x.length; j++) {
                    assertThat(y[j]).as(name).isCloseTo(x[j], within(1e-6f));
                }
            }
        }
        assertThat(Files.isDirectory(ckpt)).isTrue();
    }

    @Test
    void splitSlicesConcatenateToTheBatch() {
        MaskedBatch batch = new SyntheticBatches(CONFIG, 14).next(5);
        List<MaskedBatch> parts = batch.split(3);
        assertThat(parts).extracting(MaskedBatch::size).containsExactly(2, 2, 1);
        assertThat(batch.split(8)).hasSize(5);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDList whole = batch.toNDList(m, Stage.JOINT);
            List<NDList> lists = new ArrayList<>();
            for (MaskedBatch p : parts) {
                lists.add(p.toNDList(m, Stage.JOINT));
            }
            for (int i = 0; i < whole.size(); i++) {
                String name = whole.get(i).getName();
                // indices are flat (B*K), the rest (B, ...): both concatenate along axis 0
                NDList pieces = new NDList();
                for (NDList l : lists) {
                    pieces.add(l.get(name));
                }
                assertThat(ai.djl.ndarray.NDArrays.concat(pieces).contentEquals(whole.get(i)))
                        .as(name)
                        .isTrue();
            }
        }
    }

    @Test
    void devicesResolveAndRefuse() {
        int gpus = Engine.getInstance().getGpuCount();
        List<Device> auto = Devices.resolve("auto");
        if (gpus == 0) {
            assertThat(auto).containsExactly(Device.cpu());
        } else {
            assertThat(auto).hasSize(gpus).allMatch(Device::isGpu);
        }
        assertThat(Devices.resolve("cpu, cpu")).containsExactly(Device.cpu(), Device.cpu());
        assertThatThrownBy(() -> Devices.resolve("gpu" + gpus))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DJL sees");
        assertThatThrownBy(() -> Devices.resolve("tpu"))
                .hasMessageContaining("Unknown device 'tpu'");
    }

    @Test
    void cpuDeviceMemoryIsTheResidentSetSize() throws Exception {
        // statm counts resident pages: an independent reading of what VmRSS reports
        String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
        long statmMb = Long.parseLong(statm[1]) * 4096 / (1024 * 1024);
        long mb = Devices.memoryUsedMb(List.of(Device.cpu(), Device.cpu()));
        assertThat(mb).isPositive().isCloseTo(statmMb, within(64L));
    }
}
