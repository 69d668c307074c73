package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.testutil.Npy;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.flink.train.TrainJob;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Target;
import io.bimm.model.WeightSharing;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An ablation's checkpoint (splits at the end, no sharing, one target) exports, embeds and
 * finetunes like any other, since each command reads the model config from the checkpoint; {@code
 * --init-from} it needs the same model options.
 */
class AblationCheckpointCliTest {

    private static final int S = 32;
    private static final int T = 4;

    @TempDir Path dir;

    @Test
    void exportEmbedAndFinetuneReadTheAblationsConfigFromItsCheckpoint() throws Exception {
        BimmConfig.Builder b =
                BimmConfig.builder(Preset.TINY)
                        .optImageSize(S)
                        .optFrames(T)
                        .optEmbedDim(96, 3)
                        .optDecoder(64, 2, 1, 1, 2)
                        .optSplits(6, 6, 6)
                        .optSharing(WeightSharing.NONE)
                        .optWeights(0.5f, 1f, 2f)
                        .optLambda(1.5f)
                        .optMaskRatios(0.5f, 0.8f);
        for (Target t : Target.values()) {
            b.optTarget(t, t == Target.DORSAL_MOTION);
        }
        BimmConfig config = b.build();
        Path root = dir.resolve("ckpt");
        TestCheckpoints.write(root, config, 4);
        assertThat(Checkpoints.readConfig(Checkpoints.resolve(root)).toJson())
                .isEqualTo(config.toJson());

        Path export = dir.resolve("export");
        assertThat(
                        BimmCli.run(
                                "export",
                                "--checkpoint",
                                root.toString(),
                                "--out",
                                export.toString()))
                .isZero();
        var json =
                JsonParser.parseString(
                                Files.readString(
                                        export.resolve("config.json"), StandardCharsets.UTF_8))
                        .getAsJsonObject();
        assertThat(BimmConfig.fromJson(json.get("bimm").toString()).toJson())
                .isEqualTo(config.toJson());

        MotionDataset.generate(
                dir.resolve("motion"), new MotionDataset.Settings(1, 1, 64, 48, 18, 9));
        Path features = dir.resolve("f.npy");
        assertThat(
                        BimmCli.run(
                                "embed",
                                "--checkpoint",
                                root.toString(),
                                "--video",
                                dir.resolve("motion/train/right/right-0000.mp4").toString(),
                                "--deterministic",
                                "--out",
                                features.toString()))
                .isZero();
        Npy.Array f = Npy.readFloat32(features);
        assertThat(f.shape()).containsExactly(1, 96);
        for (float v : f.values()) {
            assertThat(v).isFinite();
        }

        assertThat(
                        BimmCli.run(
                                "finetune",
                                "--checkpoint",
                                root.toString(),
                                "--train",
                                dir.resolve("motion/train").toString(),
                                "--val",
                                dir.resolve("motion/val").toString(),
                                "--linear-probe",
                                "--epochs",
                                "1",
                                "--batch-size",
                                "2",
                                "--device",
                                "cpu",
                                "--no-progress",
                                "--out",
                                dir.resolve("finetune").toString()))
                .isZero();
    }

    @Test
    void initFromNeedsTheCheckpointsModelOptions() throws Exception {
        BimmConfig.Builder b =
                BimmConfig.builder(Preset.TINY)
                        .optSplits(12, 12, 12)
                        .optSharing(WeightSharing.NONE);
        for (Target t : Target.values()) {
            b.optTarget(t, t == Target.DORSAL_MOTION);
        }
        Path root = dir.resolve("ckpt");
        TestCheckpoints.write(root, b.build(), 6);

        TrainCommand plain = new TrainCommand();
        new CommandLine(plain).parseArgs("--stage", "dorsal", "--init-from", root.toString());
        assertThatThrownBy(plain::configuration)
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage(
                        "option 'train.init-from': checkpoint "
                                + root.resolve("step-000000000000").toRealPath()
                                + " was trained with another model config:"
                                + " model.sharing=none (this job: partial);"
                                + " model.splits=12,12,12 (this job: 2,4,12);"
                                + " model.targets=dorsal-motion (this job: ventral-gabor,"
                                + "ventral-contour,ventral-rgb,dorsal-gabor,dorsal-contour,"
                                + "dorsal-motion); start this job with the checkpoint's values.");

        TrainCommand matching = new TrainCommand();
        new CommandLine(matching)
                .parseArgs(
                        "--stage",
                        "dorsal",
                        "--init-from",
                        root.toString(),
                        "-D",
                        "model.splits=12,12,12",
                        "-D",
                        "model.sharing=none",
                        "-D",
                        "model.targets=dorsal-motion");
        assertThat(TrainJob.modelConfig(matching.configuration()).toJson())
                .isEqualTo(b.build().toJson());
    }
}
