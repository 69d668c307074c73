package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.export.EncoderExporter;
import io.bimm.model.export.SafetensorsReader;
import io.bimm.model.export.SafetensorsWriter;
import io.bimm.model.finetune.EncoderFeatures;
import io.bimm.model.finetune.Patchify;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm export} round trip: a checkpoint (given as its {@code latest} link) exported by the
 * command, loaded by key name with {@code load_state_dict(strict=True)} into the independent
 * PyTorch ViT of the model module's parity test ({@code vit_parity.py}, Debian's {@code
 * /usr/bin/python3} with {@code python3-torch}), shapes checked, outputs matched against the Java
 * encoder of the same checkpoint.
 */
class ExportCommandTest {

    private static final Path VIT_PARITY =
            Path.of("..", "model", "src", "test", "resources", "io", "bimm", "model", "export")
                    .resolve("vit_parity.py");

    private static final int S = 32;
    private static final int T = 4;
    private static final int B = 2;

    @TempDir Path dir;

    @Test
    void exportedCheckpointLoadsByKeyNameInPytorchAndMatches() throws Exception {
        BimmConfig config = TestCheckpoints.micro(S, T);
        Path root = dir.resolve("ckpt");
        TestCheckpoints.write(root, config, 11);
        Path out = dir.resolve("export");
        assertThat(
                        BimmCli.run(
                                "export",
                                "--checkpoint",
                                root.resolve("latest").toString(),
                                "--out",
                                out.toString()))
                .isZero();

        // key names and shapes of SPEC 6, exactly
        int d = config.getEmbedDim();
        for (boolean dorsal : new boolean[] {true, false}) {
            SafetensorsReader r =
                    SafetensorsReader.read(
                            out.resolve(
                                    dorsal
                                            ? EncoderExporter.DORSAL_FILE
                                            : EncoderExporter.VENTRAL_FILE));
            Set<String> expected = new HashSet<>();
            expected.add("patch_embed.proj.weight");
            expected.add("patch_embed.proj.bias");
            expected.add("norm.weight");
            expected.add("norm.bias");
            for (int i = 0; i < config.getDepth(); i++) {
                String p = "blocks." + i + ".";
                for (String k :
                        new String[] {
                            "norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.proj.weight",
                            "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight",
                            "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"
                        }) {
                    expected.add(p + k);
                }
                if (dorsal) {
                    expected.add(p + "attn.q_bias");
                    expected.add(p + "attn.v_bias");
                } else {
                    expected.add(p + "attn.qkv.bias");
                }
            }
            assertThat(r.tensors().keySet()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(r.tensors().get("patch_embed.proj.weight").shape())
                    .containsExactly(
                            dorsal ? new long[] {d, 3, 2, 16, 16} : new long[] {d, 3, 16, 16});
            assertThat(r.tensors().get("blocks.5.attn.qkv.weight").shape())
                    .containsExactly(3L * d, d);
            assertThat(r.tensors().get("blocks.5.mlp.fc2.weight").shape())
                    .containsExactly(d, 4L * d);
        }
        String readme = Files.readString(out.resolve("README.md"), StandardCharsets.UTF_8);
        assertThat(readme).contains("VideoMAE").contains("timm").contains("load_state_dict");
        assertThat(Files.readString(out.resolve("config.json"))).contains("\"embed_dim\": 96");

        // expected outputs: the checkpoint's Java encoders on all-visible random inputs
        Random random = new Random(5);
        byte[] image = new byte[B * S * S * 3];
        byte[][] video = new byte[B * T][S * S * 3];
        random.nextBytes(image);
        for (byte[] f : video) {
            random.nextBytes(f);
        }
        SafetensorsWriter inputs = new SafetensorsWriter();
        try (Bimm model = Checkpoints.loadModel(root, Device.cpu());
                NDManager scope = model.getManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            int ni = (S / 16) * (S / 16);
            byte[] patches = new byte[B * ni * 768];
            byte[] tubelets = new byte[B * (T / 2) * ni * 1536];
            for (int b = 0; b < B; b++) {
                byte[] frame = new byte[S * S * 3];
                System.arraycopy(image, b * frame.length, frame, 0, frame.length);
                byte[] p = Patchify.patches(frame, S);
                System.arraycopy(p, 0, patches, b * p.length, p.length);
                byte[][] clip = new byte[T][];
                System.arraycopy(video, b * T, clip, 0, T);
                byte[] tb = Patchify.tubelets(clip, S);
                System.arraycopy(tb, 0, tubelets, b * tb.length, tb.length);
            }
            float[] ventralOut =
                    EncoderFeatures.tokens(
                                    model,
                                    ps,
                                    Branch.VENTRAL,
                                    EncoderFeatures.pixels(scope, patches, B, Branch.VENTRAL),
                                    false)
                            .toFloatArray();
            float[] dorsalOut =
                    EncoderFeatures.tokens(
                                    model,
                                    ps,
                                    Branch.DORSAL,
                                    EncoderFeatures.pixels(scope, tubelets, B, Branch.DORSAL),
                                    false)
                            .toFloatArray();
            inputs.add("ventral_input", channelFirst(image, B, 1), B, 3, S, S);
            inputs.add("ventral_expected", ventralOut, B, ni, d);
            byte[] flatVideo = new byte[B * T * S * S * 3];
            for (int i = 0; i < B * T; i++) {
                System.arraycopy(video[i], 0, flatVideo, i * S * S * 3, S * S * 3);
            }
            inputs.add("dorsal_input", channelFirst(flatVideo, B, T), B, 3, T, S, S);
            inputs.add("dorsal_expected", dorsalOut, B, (T / 2) * ni, d);
        }
        Path inputsFile = dir.resolve("inputs.safetensors");
        inputs.write(inputsFile);
        assertThat(VIT_PARITY).as("the model module's PyTorch ViT").exists();
        Process p =
                new ProcessBuilder(
                                "/usr/bin/python3",
                                VIT_PARITY.toString(),
                                out.toString(),
                                inputsFile.toString(),
                                "1e-4")
                        .redirectErrorStream(true)
                        .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        int code = p.exitValue();
        assertThat(code)
                .as(
                        code == 3
                                ? "/usr/bin/python3 lacks torch; run apt-get install -y"
                                        + " python3-torch. Output:\n"
                                        + output
                                : "PyTorch parity script output:\n" + output)
                .isZero();
        assertThat(output)
                .contains("ventral max_abs_diff=")
                .contains("out_shape=(2, 4, 96)")
                .contains("out_shape=(2, 8, 96)");
    }

    @Test
    void missingCheckpointIsOneSentence() {
        assertThat(
                        BimmCli.run(
                                "export",
                                "--checkpoint",
                                dir.resolve("nope").toString(),
                                "--out",
                                dir.resolve("o").toString()))
                .isEqualTo(1);
    }

    /** (B, F, S, S, 3) uint8 to (B, 3, F, S, S) float values 0..255. */
    private static float[] channelFirst(byte[] src, int b, int frames) {
        float[] out = new float[src.length];
        for (int i = 0; i < b; i++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < S; y++) {
                    for (int x = 0; x < S; x++) {
                        for (int c = 0; c < 3; c++) {
                            int from = ((((i * frames + f) * S + y) * S + x) * 3) + c;
                            int to = (((i * 3 + c) * frames + f) * S + y) * S + x;
                            out[to] = src[from] & 0xff;
                        }
                    }
                }
            }
        }
        return out;
    }
}
