package io.bimm.model.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.TestConfigs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports a model and checks it against an independent PyTorch ViT (test resource {@code
 * vit_parity.py}) run by Debian's {@code /usr/bin/python3} with {@code python3-torch}.
 */
class ExportParityTest {

    private static final int B = 2;
    private static final int S = 48;
    private static final int T = 4;

    @TempDir Path dir;

    @Test
    void exportedEncodersMatchAnIndependentPytorchVit() throws Exception {
        BimmConfig config = TestConfigs.tinySmallInput().optImageSize(S).optFrames(T).build();
        int d = config.getEmbedDim();
        int g = S / 16;
        Random random = new Random(42);
        byte[] image = new byte[B * S * S * 3]; // (B, S, S, 3)
        byte[] video = new byte[B * T * S * S * 3]; // (B, T, S, S, 3)
        random.nextBytes(image);
        random.nextBytes(video);
        SafetensorsWriter inputs = new SafetensorsWriter();
        try (Bimm model = Bimm.newModel(config, Device.cpu());
                NDManager scope = model.getManager().newSubManager()) {
            // move every parameter away from its init (zero biases would hide layout bugs)
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                float[] v = new float[(int) a.size()];
                boolean norm = e.getKey().contains("norm");
                for (int i = 0; i < v.length; i++) {
                    v[i] =
                            (float)
                                    ((norm && e.getKey().endsWith("weight") ? 1 : 0)
                                            + random.nextGaussian() * (norm ? 0.1 : 0.05));
                }
                a.set(FloatBuffer.wrap(v));
            }
            ParameterStore ps = new ParameterStore(scope, false);
            int ni = g * g;
            byte[] patches = new byte[B * ni * 768];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < ni; t++) {
                    for (int y = 0; y < 16; y++) {
                        for (int x = 0; x < 16; x++) {
                            for (int c = 0; c < 3; c++) {
                                int src =
                                        ((b * S + (t / g) * 16 + y) * S + (t % g) * 16 + x) * 3 + c;
                                patches[(((b * ni + t) * 16 + y) * 16 + x) * 3 + c] = image[src];
                            }
                        }
                    }
                }
            }
            int nv = (T / 2) * ni;
            byte[] tubelets = new byte[B * nv * 1536];
            for (int b = 0; b < B; b++) {
                for (int tok = 0; tok < nv; tok++) {
                    int slot = tok / ni;
                    int h = (tok % ni) / g;
                    int w = tok % g;
                    for (int f = 0; f < 2; f++) {
                        for (int y = 0; y < 16; y++) {
                            for (int x = 0; x < 16; x++) {
                                for (int c = 0; c < 3; c++) {
                                    int frame = 2 * slot + f;
                                    int src =
                                            (((b * T + frame) * S + h * 16 + y) * S + w * 16 + x)
                                                            * 3
                                                    + c;
                                    int dst =
                                            ((((b * nv + tok) * 2 + f) * 16 + y) * 16 + x) * 3 + c;
                                    tubelets[dst] = video[src];
                                }
                            }
                        }
                    }
                }
            }
            float[] ventralOut =
                    encode(
                            model,
                            ps,
                            scope,
                            Branch.VENTRAL,
                            patches,
                            new Shape(B, ni, 16, 16, 3),
                            ni);
            float[] dorsalOut =
                    encode(
                            model,
                            ps,
                            scope,
                            Branch.DORSAL,
                            tubelets,
                            new Shape(B, nv, 2, 16, 16, 3),
                            nv);
            inputs.add("ventral_input", channelFirst(image, B, 1, S), B, 3, S, S);
            inputs.add("ventral_expected", ventralOut, B, ni, d);
            inputs.add("dorsal_input", channelFirst(video, B, T, S), B, 3, T, S, S);
            inputs.add("dorsal_expected", dorsalOut, B, nv, d);
            EncoderExporter.export(model, dir.resolve("export"));
        }
        Path inputsFile = dir.resolve("inputs.safetensors");
        inputs.write(inputsFile);

        SafetensorsReader dorsal =
                SafetensorsReader.read(dir.resolve("export").resolve(EncoderExporter.DORSAL_FILE));
        SafetensorsReader ventral =
                SafetensorsReader.read(dir.resolve("export").resolve(EncoderExporter.VENTRAL_FILE));
        assertThat(dorsal.tensors().get("patch_embed.proj.weight").shape())
                .containsExactly(d, 3, 2, 16, 16);
        assertThat(ventral.tensors().get("patch_embed.proj.weight").shape())
                .containsExactly(d, 3, 16, 16);
        assertThat(dorsal.tensors()).containsKeys("blocks.11.attn.q_bias", "blocks.11.attn.v_bias");
        assertThat(dorsal.tensors()).doesNotContainKey("blocks.0.attn.qkv.bias");
        float[] qkvBias = ventral.tensors().get("blocks.0.attn.qkv.bias").values();
        assertThat(qkvBias).hasSize(3 * d);
        for (int i = d; i < 2 * d; i++) {
            assertThat(qkvBias[i]).isZero();
        }
        assertThat(ventral.tensors().get("blocks.3.attn.qkv.weight").shape())
                .containsExactly(3 * d, d);
        assertThat(ventral.tensors().get("blocks.3.mlp.fc1.weight").shape())
                .containsExactly(4 * d, d);

        Path script = dir.resolve("vit_parity.py");
        try (var in = getClass().getResourceAsStream("vit_parity.py")) {
            Files.copy(in, script);
        }
        Process p =
                new ProcessBuilder(
                                "/usr/bin/python3",
                                script.toString(),
                                dir.resolve("export").toString(),
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
        assertThat(output).contains("ventral max_abs_diff=").contains("dorsal max_abs_diff=");
        System.out.print(output);
    }

    private static float[] encode(
            Bimm model,
            ParameterStore ps,
            NDManager scope,
            Branch branch,
            byte[] pixels,
            Shape shape,
            int tokens)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(pixels.length);
        buf.put(pixels).flip();
        NDArray px = scope.create(buf, shape, DataType.UINT8);
        long[] idx = new long[B * tokens];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i % tokens;
        }
        NDArray vis = scope.create(idx);
        return model.forwardEncoder(ps, branch, px, vis, false).get(2).toFloatArray();
    }

    /** (B, F, S, S, 3) uint8 to (B, 3, F, S, S) float values 0..255. */
    private static float[] channelFirst(byte[] src, int b, int frames, int s) {
        float[] out = new float[src.length];
        for (int i = 0; i < b; i++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        for (int c = 0; c < 3; c++) {
                            int from = ((((i * frames + f) * s + y) * s + x) * 3) + c;
                            int to = (((i * 3 + c) * frames + f) * s + y) * s + x;
                            out[to] = src[from] & 0xff;
                        }
                    }
                }
            }
        }
        return out;
    }
}
