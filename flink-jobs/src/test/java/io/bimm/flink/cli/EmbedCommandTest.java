package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.testutil.Npy;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.finetune.EncoderFeatures;
import io.bimm.model.finetune.Patchify;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bimm embed}: determinism, SPEC 1's deterministic sampling, and the pooled features. */
class EmbedCommandTest {

    private static final int S = 32;
    private static final int T = 4;

    @TempDir Path dir;
    private Path root;
    private Path clip;

    @BeforeEach
    void setUp() throws Exception {
        root = dir.resolve("ckpt");
        TestCheckpoints.write(root, TestCheckpoints.micro(S, T), 3);
        MotionDataset.generate(
                dir.resolve("motion"), new MotionDataset.Settings(1, 1, 64, 48, 18, 9));
        clip = dir.resolve("motion/train/right/right-0000.mp4");
    }

    private Npy.Array embed(String name, String... extra) throws Exception {
        Path out = dir.resolve(name);
        String[] base = {"embed", "--checkpoint", root.toString(), "--out", out.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        assertThat(BimmCli.run(args)).isZero();
        return Npy.readFloat32(out);
    }

    @Test
    void aFifoIsRejectedAtOnceInsteadOfHanging() throws Exception {
        Path fifo = io.bimm.flink.testutil.HostileFiles.fifo(dir.resolve("pipe.mp4"));
        io.bimm.flink.testutil.Cli.Run run =
                org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                        java.time.Duration.ofSeconds(60),
                        () ->
                                io.bimm.flink.testutil.Cli.run(
                                        "embed",
                                        "--checkpoint",
                                        root.toString(),
                                        "--out",
                                        dir.resolve("f.npy").toString(),
                                        "--video",
                                        fifo.toString()));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("rejected " + fifo + ": unreadable: it is a FIFO");
    }

    @Test
    void deterministicFeaturesRepeatAndEqualTheTokenMeanOfTheSpecSampledClip() throws Exception {
        Npy.Array a = embed("a.npy", "--video", clip.toString(), "--deterministic");
        Npy.Array b = embed("b.npy", "--video", clip.toString(), "--deterministic", "--seed", "77");
        assertThat(a.shape()).containsExactly(1, 96);
        assertThat(b.values()).containsExactly(a.values()); // seed plays no part

        // independently: SPEC 1 deterministic sampling, then the mean of the final-LN tokens
        DecodeOptions det =
                DecodeOptions.builder()
                        .optSize(S)
                        .optFrames(T)
                        .optStride(4)
                        .optDeterministic(true)
                        .build();
        DecodedClip c;
        try (ClipDecoder decoder = new ClipDecoder(det)) {
            c = decoder.decode(Files.readAllBytes(clip), "x", 123, 5);
        }
        assertThat(c.offset()).isEqualTo(1);
        assertThat(c.xIndices()).containsExactly(1, 5, 9, 13);
        assertThat(c.scale()).isEqualTo(1.0);
        assertThat(c.flipped()).isFalse();
        // 64x48 frames: short side 48 -> 32, so 43x32 scaled, centre crop x = (43 - 32) / 2
        assertThat(c.cropX()).isEqualTo(5);
        assertThat(c.cropY()).isZero();
        BimmConfig config;
        try (Bimm model = Checkpoints.loadModel(root, Device.cpu());
                NDManager scope = model.getManager().newSubManager()) {
            config = model.getConfig();
            ParameterStore ps = new ParameterStore(scope, false);
            for (Branch branch : new Branch[] {Branch.DORSAL, Branch.VENTRAL}) {
                byte[] tokens =
                        branch == Branch.DORSAL
                                ? Patchify.tubelets(c.x(), S)
                                : Patchify.patches(c.x()[0], S);
                float[] t =
                        EncoderFeatures.tokens(
                                        model,
                                        ps,
                                        branch,
                                        EncoderFeatures.pixels(scope, tokens, 1, branch),
                                        false)
                                .toFloatArray();
                int n = t.length / 96;
                float[] expected = new float[96];
                for (int k = 0; k < n; k++) {
                    for (int j = 0; j < 96; j++) {
                        expected[j] += t[k * 96 + j] / n;
                    }
                }
                float[] actual =
                        branch == Branch.DORSAL
                                ? a.values()
                                : embed(
                                                "v.npy",
                                                "--video",
                                                clip.toString(),
                                                "--deterministic",
                                                "--branch",
                                                "ventral")
                                        .values();
                for (int j = 0; j < 96; j++) {
                    assertThat(actual[j]).isCloseTo(expected[j], within(1e-5f));
                }
            }
        }
        assertThat(config.getImageSize()).isEqualTo(S);
    }

    @Test
    void randomSamplingDependsOnTheSeedAndADirectoryGivesOneRowPerFile() throws Exception {
        Npy.Array s1 = embed("s1.npy", "--video", clip.toString(), "--seed", "1", "--draws", "2");
        Npy.Array s1again =
                embed("s1b.npy", "--video", clip.toString(), "--seed", "1", "--draws", "2");
        Npy.Array s2 = embed("s2.npy", "--video", clip.toString(), "--seed", "2", "--draws", "2");
        assertThat(s1.shape()).containsExactly(2, 96);
        assertThat(s1again.values()).containsExactly(s1.values());
        assertThat(s2.values()).isNotEqualTo(s1.values());

        Npy.Array all =
                embed(
                        "all.npy",
                        "--video",
                        dir.resolve("motion/train").toString(),
                        "--deterministic");
        assertThat(all.shape()).containsExactly(6, 96);
        List<String> rows = Files.readAllLines(dir.resolve("all.txt"));
        assertThat(rows).hasSize(6);
        int right = -1;
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).contains("right-0000.mp4")) {
                right = i;
            }
        }
        assertThat(right).isNotNegative();
        Npy.Array one = embed("one.npy", "--video", clip.toString(), "--deterministic");
        for (int j = 0; j < 96; j++) {
            assertThat(all.values()[right * 96 + j]).isEqualTo(one.values()[j]);
        }
    }
}
