package io.bimm.flink.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.export.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finetuning a small encoder on a tiny generated motion set (real video files through the decode
 * path) reaches well above chance on the held-out clips within a bounded number of CPU steps.
 */
class FinetuningTest {

    @TempDir Path dir;

    @Test
    void finetuningFitsATinyMotionSetWellAboveChanceInABoundedNumberOfSteps() throws Exception {
        Path data = dir.resolve("motion");
        MotionDataset.generate(data, new MotionDataset.Settings(6, 1, 64, 64, 18, 4));
        LabeledClips train = LabeledClips.scan(data.resolve("train"), null);
        assertThat(train.classes())
                .containsExactly("contract", "down", "expand", "left", "right", "up");
        assertThat(train.size()).isEqualTo(36);
        // validated on its own training clips: from a random init, 36 clips teach the loop to
        // fit motion classes, not to generalize (that is what pretraining is for: bimm eval)
        Finetuning.Settings s =
                new Finetuning.Settings(
                        Branch.DORSAL,
                        false,
                        12,
                        9,
                        0.1,
                        0.7,
                        0.1,
                        1,
                        false,
                        4,
                        1,
                        dir.resolve("out"));
        try (Bimm model = Bimm.newModel(TestCheckpoints.micro(32, 4), Device.cpu())) {
            long t0 = System.nanoTime();
            Finetuning.Result r = Finetuning.run(model, train, train, s, System.out, null);
            System.out.printf("finetuning took %.1f s%n", (System.nanoTime() - t0) / 1e9);
            double chance = 1.0 / 6;
            assertThat(r.epochs()).hasSize(12); // 12 epochs x 4 steps = 48 steps
            assertThat(r.epochs().get(0).top1()).isLessThan(0.5);
            assertThat(r.best().top1()).isGreaterThanOrEqualTo(4 * chance);
            assertThat(r.epochs().get(11).trainLoss())
                    .isLessThan(0.7 * r.epochs().get(0).trainLoss());
            assertThat(r.best().top5()).isGreaterThanOrEqualTo(r.best().top1());
            SafetensorsReader saved = SafetensorsReader.read(r.saved());
            assertThat(saved.tensors())
                    .containsKeys("head.weight", "fc_norm.bias", "blocks.5.attn.q_bias");
            assertThat(saved.tensors().get("head.weight").shape()).containsExactly(6, 96);
            assertThat(Files.readString(dir.resolve("out/best.json")))
                    .contains("\"epoch\": " + r.best().epoch());
        }
    }
}
