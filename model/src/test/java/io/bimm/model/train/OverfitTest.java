package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import org.junit.jupiter.api.Test;

class OverfitTest {

    @Test
    void jointLossOnOneFixedBatchDropsByNinetyPercent() {
        Engine.getInstance().setRandomSeed(7);
        // the tiny preset's widths and depths (D 192, 12 blocks, Dd 96) at a small input
        BimmConfig config = TestConfigs.tinySmallInput().build();
        MaskedBatch batch = new SyntheticBatches(config, 1).next(2);
        TrainOptions options =
                TrainOptions.builder()
                        .optStage(Stage.JOINT)
                        .optBaseLr(1e-3)
                        .optBatchSize(256)
                        .optWeightDecay(0f)
                        .build();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, options);
            float first = 0;
            float last = 0;
            for (int i = 0; i < 300; i++) {
                StepResult r = trainer.step(batch);
                if (i == 0) {
                    first = r.total();
                }
                last = r.total();
                if (last < 0.1f * first) {
                    break;
                }
            }
            assertThat(last).isLessThan(0.1f * first);
        }
    }
}
