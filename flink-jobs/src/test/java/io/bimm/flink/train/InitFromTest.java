package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.WeightSharing;
import io.bimm.model.export.SafetensorsReader;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.TrainOptions;
import java.nio.file.Path;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train.init-from} in the training sink: the checkpoint's model config or a clear stop. */
class InitFromTest {

    @TempDir Path dir;

    private static BimmConfig.Builder micro() {
        return BimmConfig.builder(Preset.TINY)
                .optImageSize(32)
                .optFrames(4)
                .optEmbedDim(96, 3)
                .optDecoder(64, 2, 1, 1, 2)
                .optSplits(2, 4, 6);
    }

    @Test
    void anAblationCheckpointStartsAJobOfItsConfigAndStopsAnyOther() throws Exception {
        BimmConfig.Builder b = micro().optSplits(6, 6, 6).optSharing(WeightSharing.NONE);
        for (Target t : Target.values()) {
            b.optTarget(t, t == Target.DORSAL_MOTION || t == Target.VENTRAL_RGB);
        }
        BimmConfig ablation = b.optWeights(0.5f, 1f, 2f).optLambda(0.25f).build();
        Path ckpt = TestCheckpoints.write(dir.resolve("ckpt"), ablation, 9);
        TrainOptions joint = TrainOptions.builder().optStage(Stage.JOINT).build();

        try (Bimm model = Bimm.newModel(micro().build(), Device.cpu())) {
            assertThatThrownBy(() -> ModelCheckpoints.initFrom(new BimmTrainer(model, joint), ckpt))
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .hasMessage(
                            "option 'train.init-from': checkpoint "
                                    + ckpt
                                    + " was trained with another model config:"
                                    + " model.lambda=0.25 (this job: 1);"
                                    + " model.sharing=none (this job: partial);"
                                    + " model.splits=6,6,6 (this job: 2,4,6);"
                                    + " model.loss-weights=0.5,1,2 (this job: 1,1,1);"
                                    + " model.targets=ventral-rgb,dorsal-motion (this job:"
                                    + " ventral-gabor,ventral-contour,ventral-rgb,dorsal-gabor,"
                                    + "dorsal-contour,dorsal-motion); start this job with the"
                                    + " checkpoint's values.");
        }
        try (Bimm model = Bimm.newModel(ablation, Device.cpu())) {
            ModelCheckpoints.initFrom(new BimmTrainer(model, joint), ckpt);
            SafetensorsReader saved =
                    SafetensorsReader.read(
                            ckpt.resolve(io.bimm.model.checkpoint.Checkpoints.PARAMS));
            assertThat(model.namedParameters().keySet())
                    .containsExactlyInAnyOrderElementsOf(saved.tensors().keySet());
            model.namedParameters()
                    .forEach(
                            (k, p) ->
                                    assertThat(p.getArray().toFloatArray())
                                            .as(k)
                                            .containsExactly(saved.tensors().get(k).values()));
        }
    }

    @Test
    void sizesNoOptionSetsAreReportedUnderThePreset() {
        assertThat(InitFrom.differences(micro().build(), BimmConfig.builder(Preset.TINY).build()))
                .containsExactly(
                        "model.preset=tiny with decoderDim 64 (this job: 96), decoderHeads 2"
                                + " (this job: 3), depth 6 (this job: 12), embedDim 96 (this"
                                + " job: 192), frames 4 (this job: 8), imageSize 32 (this job:"
                                + " 112)",
                        "model.splits=2,4,6 (this job: 2,4,12)");
    }
}
