package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.testutil.Npy;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.flink.testutil.TestImages;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.finetune.EncoderFeatures;
import io.bimm.model.finetune.Patchify;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm embed --branch ventral} on an image sees the image the training job's image path
 * ({@link ImageDecoder}) samples deterministically: the same pixels, so the same features.
 */
class EmbedImageTest {

    private static final int S = 32;

    @Test
    void ventralFeaturesOfAnImageAreThoseOfItsTrainingSample(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("ckpt");
        TestCheckpoints.write(root, TestCheckpoints.micro(S, 4), 3);
        Path png = dir.resolve("photo.png");
        Files.write(png, TestImages.patternPng(90, 60, 4));
        Path out = dir.resolve("v.npy");
        assertThat(
                        BimmCli.run(
                                "embed",
                                "--checkpoint",
                                root.toString(),
                                "--out",
                                out.toString(),
                                "--video",
                                png.toString(),
                                "--branch",
                                "ventral",
                                "--deterministic"))
                .isZero();
        float[] actual = Npy.readFloat32(out).values();

        byte[] rgb;
        try (ImageDecoder d =
                new ImageDecoder(
                        DecodeOptions.builder()
                                .optSize(S)
                                .optFrames(4)
                                .optDeterministic(true)
                                .build())) {
            rgb = d.decode(Files.readAllBytes(png), "any", 9, 0);
        }
        try (Bimm model = Checkpoints.loadModel(root, Device.cpu());
                NDManager scope = model.getManager().newSubManager()) {
            float[] t =
                    EncoderFeatures.tokens(
                                    model,
                                    new ParameterStore(scope, false),
                                    Branch.VENTRAL,
                                    EncoderFeatures.pixels(
                                            scope, Patchify.patches(rgb, S), 1, Branch.VENTRAL),
                                    false)
                            .toFloatArray();
            int d = actual.length;
            int n = t.length / d;
            assertThat(n).isEqualTo((S / 16) * (S / 16));
            for (int j = 0; j < d; j++) {
                float expected = 0;
                for (int k = 0; k < n; k++) {
                    expected += t[k * d + j] / n;
                }
                assertThat(actual[j]).isCloseTo(expected, within(1e-5f));
            }
        }
    }
}
