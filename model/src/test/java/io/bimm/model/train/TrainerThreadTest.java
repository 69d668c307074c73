package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The Flink training sink steps on its own thread; PyTorch keeps grad mode per thread (on by
 * default in a new one), so a step there must still update parameters in place.
 */
class TrainerThreadTest {

    @Test
    void stepsOnAThreadThatDidNotStartTheEngine() throws Exception {
        Engine.getInstance().setRandomSeed(5);
        BimmConfig config = TestConfigs.micro().build();
        MaskedBatch batch = new SyntheticBatches(config, 9).next(2);
        ExecutorService fresh = Executors.newSingleThreadExecutor();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.JOINT).build());
            float[] before =
                    model.namedParameters().values().iterator().next().getArray().toFloatArray();
            Future<StepResult> r1 = fresh.submit(() -> trainer.step(batch));
            Future<StepResult> r2 = fresh.submit(() -> trainer.step(batch));
            assertThat(r1.get().skipped()).isFalse();
            assertThat(r2.get().step()).isEqualTo(2);
            float[] after =
                    model.namedParameters().values().iterator().next().getArray().toFloatArray();
            assertThat(after).isNotEqualTo(before);
        } finally {
            fresh.shutdownNow();
        }
    }
}
