package io.bimm.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.nn.Parameter;
import com.google.gson.JsonParser;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.StepResult;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

    private static final BimmConfig CONFIG = TestConfigs.micro().build();
    private static final TrainOptions OPTIONS =
            TrainOptions.builder()
                    .optStage(Stage.JOINT)
                    .optBaseLr(1e-3)
                    .optWarmupSteps(2)
                    .optCosine(10, 1e-5)
                    .optClipGradNorm(1f)
                    .build();

    @TempDir Path dir;

    private static Map<String, float[]> snapshot(Bimm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void reloadThenStepEqualsSteppingWithoutReload() throws IOException {
        SyntheticBatches data = new SyntheticBatches(CONFIG, 3);
        MaskedBatch b1 = data.next(2);
        MaskedBatch b2 = data.next(2);
        MaskedBatch b3 = data.next(2);
        Path ckpt;
        Map<String, float[]> straight;
        Engine.getInstance().setRandomSeed(1);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            trainer.step(b1);
            StepResult r = trainer.step(b2);
            assertThat(trainer.getSkippedSteps()).isZero();
            ckpt = Checkpoints.save(trainer, dir, r.losses());
            trainer.step(b3);
            straight = snapshot(model);
        }
        assertThat(ckpt.getFileName().toString()).isEqualTo("step-000000000002");
        assertThat(Checkpoints.latest(dir)).isEqualTo(ckpt);
        var manifest =
                JsonParser.parseString(
                                Files.readString(
                                        ckpt.resolve(Checkpoints.MANIFEST), StandardCharsets.UTF_8))
                        .getAsJsonObject();
        assertThat(manifest.get("step").getAsLong()).isEqualTo(2);
        assertThat(manifest.get("samples_seen").getAsLong()).isEqualTo(4);
        assertThat(manifest.getAsJsonObject("losses").keySet()).contains("ventral_rgb");

        Engine.getInstance().setRandomSeed(99); // different init, fully overwritten by load
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            Checkpoints.load(trainer, ckpt);
            assertThat(trainer.getStep()).isEqualTo(2);
            trainer.step(b3);
            Map<String, float[]> resumed = snapshot(model);
            assertThat(resumed.keySet()).isEqualTo(straight.keySet());
            for (String k : straight.keySet()) {
                assertThat(resumed.get(k)).as(k).containsExactly(straight.get(k));
            }
        }
    }

    @Test
    void corruptedFileAndOtherConfigAreRefused() throws IOException {
        Path ckpt;
        Engine.getInstance().setRandomSeed(1);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            trainer.step(new SyntheticBatches(CONFIG, 1).next(1));
            ckpt = Checkpoints.save(trainer, dir, Map.of());
            BimmConfig other = TestConfigs.micro().optLambda(0.5f).build();
            try (Bimm otherModel = Bimm.newModel(other, Device.cpu())) {
                assertThatThrownBy(
                                () -> Checkpoints.load(new BimmTrainer(otherModel, OPTIONS), ckpt))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("different model config")
                        .hasMessageContaining("lambda: checkpoint 1.0 vs model 0.5");
            }
            Path params = ckpt.resolve(Checkpoints.PARAMS);
            byte[] bytes = Files.readAllBytes(params);
            bytes[bytes.length - 1] ^= 1;
            Files.write(params, bytes);
            assertThatThrownBy(() -> Checkpoints.load(trainer, ckpt))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("is corrupt: params.safetensors has SHA-256");
        }
    }

    @Test
    void jointStageStartsFromAVentralCheckpointWithAnInflatedDorsalEncoder() throws IOException {
        BimmConfig config =
                TestConfigs.micro().optSharing(io.bimm.model.WeightSharing.PARTIAL).build();
        SyntheticBatches data = new SyntheticBatches(config, 5);
        Path ckpt;
        Engine.getInstance().setRandomSeed(2);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer ventral =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.VENTRAL).build());
            ventral.step(data.next(2));
            ckpt = Checkpoints.save(ventral, dir, Map.of());
        }
        Engine.getInstance().setRandomSeed(3);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer joint =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.JOINT).build());
            Checkpoints.load(joint, ckpt);
            model.inflateDorsalFromVentral();
            Map<String, float[]> p = snapshot(model);
            // unshared block 5 copied; 3-D kernel = 2-D kernel / 2 on both frames
            assertThat(p.get("dorsal.block_5.attn.qkv_weight"))
                    .containsExactly(p.get("ventral.block_5.attn.qkv_weight"));
            float[] k2 = p.get("ventral.patch_embed.proj_weight"); // [D,3,16,16]
            float[] k3 = p.get("dorsal.patch_embed.proj_weight"); // [D,3,2,16,16]
            for (int oc = 0; oc < 96 * 3; oc++) {
                for (int f = 0; f < 2; f++) {
                    for (int i = 0; i < 256; i++) {
                        assertThat(k3[(oc * 2 + f) * 256 + i]).isEqualTo(k2[oc * 256 + i] / 2);
                    }
                }
            }
            StepResult r = joint.step(data.next(2));
            assertThat(r.skipped()).isFalse();
            assertThat(r.losses()).containsKeys("ventral_rgb", "dorsal_motion");
        }
    }

    private Path fakeCheckpoint(Path root, long step, long writtenAtMillis) throws IOException {
        Path d = Files.createDirectories(root.resolve(String.format("step-%012d", step)));
        Path manifest = Files.writeString(d.resolve(Checkpoints.MANIFEST), "{}");
        Files.setLastModifiedTime(
                manifest, java.nio.file.attribute.FileTime.fromMillis(writtenAtMillis));
        return d;
    }

    /** An older run's higher steps in the same directory are not this run's latest checkpoint. */
    @Test
    void latestSinceIgnoresCheckpointsOfEarlierRuns() throws Exception {
        Path root = dir.resolve("runs");
        long start = 1_000_000_000L;
        fakeCheckpoint(root, 30, start - 60_000);
        fakeCheckpoint(root, 2, start + 1_000);
        Path six = fakeCheckpoint(root, 6, start + 5_000);
        Files.createDirectories(root.resolve("step-000000000007")); // unfinished: no manifest
        assertThat(Checkpoints.latestSince(root, start)).isEqualTo(six);
        assertThat(Checkpoints.latest(root).getFileName().toString()).endsWith("30");
        assertThat(Checkpoints.latestSince(root, start + 10_000)).isNull();
        assertThat(Checkpoints.latestSince(root.resolve("missing"), start)).isNull();
    }

    @Test
    void stepNamesRoundTrip() {
        assertThat(Checkpoints.dirName(42)).isEqualTo("step-000000000042");
        assertThat(Checkpoints.stepOf(dir.resolve(Checkpoints.dirName(1234567))))
                .isEqualTo(1234567);
        assertThat(Checkpoints.stepOf(dir.resolve("latest"))).isEqualTo(-1);
        assertThat(Checkpoints.stepOf(dir.resolve("step-x"))).isEqualTo(-1);
    }

    /** A manifest cut short by a crash or a full disk is refused with its path in the message. */
    @Test
    void aTruncatedManifestNamesItsFile() throws IOException {
        Engine.getInstance().setRandomSeed(1);
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            Path ckpt = Checkpoints.save(trainer, dir, Map.of());
            Path manifest = ckpt.resolve(Checkpoints.MANIFEST);
            String text = Files.readString(manifest, StandardCharsets.UTF_8);
            Files.writeString(manifest, text.substring(0, text.length() / 2));
            assertThatThrownBy(() -> Checkpoints.load(trainer, ckpt))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(manifest.toString())
                    .hasMessageContaining("truncated or corrupt");
            assertThatThrownBy(() -> Checkpoints.readConfig(ckpt))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(manifest.toString());
            Files.writeString(manifest, "");
            assertThatThrownBy(() -> Checkpoints.loadModel(ckpt, Device.cpu()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(manifest.toString());
        }
    }
}
