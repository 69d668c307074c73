package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import org.junit.jupiter.api.Test;

class MemoryTest {

    private static int managedArrays(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    @Test
    void fiftyStepsDoNotGrowTheArraysAttachedToAnyManager() {
        Engine.getInstance().setRandomSeed(3);
        BimmConfig config = TestConfigs.micro().build();
        SyntheticBatches data = new SyntheticBatches(config, 4);
        MaskedBatch[] batches = {data.next(2), data.next(2)};
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(
                            model,
                            TrainOptions.builder()
                                    .optStage(Stage.JOINT)
                                    .optClipGradNorm(1f)
                                    .build());
            // first steps create the optimizer moments
            trainer.step(batches[0]);
            trainer.step(batches[1]);
            int model0 = managedArrays(model.getManager());
            NDManager system = model.getManager().getParentManager();
            int system0 = managedArrays(system);
            for (int i = 0; i < 50; i++) {
                trainer.step(batches[i % 2]);
            }
            assertThat(managedArrays(model.getManager())).isEqualTo(model0);
            assertThat(managedArrays(system)).isEqualTo(system0);
            // no step may hit the non-finite guard (it did when autograd read freed scalars)
            assertThat(trainer.getSkippedSteps()).isZero();
            assertThat(trainer.getStep()).isEqualTo(52);
        }
    }
}
