package io.bimm.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.nn.Parameter;
import com.google.gson.JsonParser;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.TestConfigs;
import io.bimm.model.WeightSharing;
import io.bimm.model.bench.SyntheticBatches;
import io.bimm.model.export.EncoderExporter;
import io.bimm.model.export.SafetensorsReader;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.StepResult;
import io.bimm.model.train.TrainOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ablation's config (splits at the end, no sharing, one target, other weights, lambda and mask
 * ratios) survives a checkpoint and an export, and its checkpoint loads as any other.
 */
class AblationCheckpointTest {

    @TempDir Path dir;

    /** The paper's VideoMAE-like dorsal ablation, every axis off its default. */
    static BimmConfig ablation() {
        BimmConfig.Builder b =
                TestConfigs.micro().optSplits(6, 6, 6).optSharing(WeightSharing.NONE);
        for (Target t : Target.values()) {
            b.optTarget(t, t == Target.DORSAL_MOTION);
        }
        return b.optWeights(0.5f, 1f, 2f).optLambda(1.5f).optMaskRatios(0.5f, 0.8f).build();
    }

    @Test
    void ablationConfigRoundTripsThroughCheckpointAndExport() throws Exception {
        BimmConfig config = ablation();
        assertThat(config.toJson()).isNotEqualTo(TestConfigs.micro().build().toJson());
        TrainOptions options = TrainOptions.builder().optStage(Stage.DORSAL).build();
        Engine.getInstance().setRandomSeed(5);
        Path ckpt;
        Map<String, float[]> trained;
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, options);
            StepResult r = trainer.step(new SyntheticBatches(config, 2).next(2));
            assertThat(r.losses()).containsOnlyKeys("dorsal_motion");
            ckpt = Checkpoints.save(trainer, dir.resolve("ckpt"), r.losses());
            trained = snapshot(model);
        }
        assertThat(trained.keySet())
                .noneMatch(k -> k.startsWith("shared_block_"))
                .filteredOn(k -> k.startsWith("decoder_"))
                .allMatch(k -> k.startsWith("decoder_dorsal_motion."));

        // the manifest holds the full config, and every reader gets it back
        assertThat(Checkpoints.readConfig(ckpt).toJson()).isEqualTo(config.toJson());
        try (Bimm loaded = Checkpoints.loadModel(ckpt, Device.cpu())) {
            assertThat(loaded.getConfig().toJson()).isEqualTo(config.toJson());
            Map<String, float[]> read = snapshot(loaded);
            assertThat(read).containsOnlyKeys(trained.keySet());
            trained.forEach((k, v) -> assertThat(read.get(k)).as(k).containsExactly(v));

            Path export = dir.resolve("export");
            EncoderExporter.export(loaded, export);
            var json =
                    JsonParser.parseString(
                                    Files.readString(
                                            export.resolve("config.json"), StandardCharsets.UTF_8))
                            .getAsJsonObject();
            assertThat(BimmConfig.fromJson(json.get("bimm").toString()).toJson())
                    .isEqualTo(config.toJson());
            // no sharing: each encoder file holds its own depth blocks, equal to the checkpoint's
            SafetensorsReader dorsal =
                    SafetensorsReader.read(export.resolve(Branch.DORSAL.exportFile()));
            assertThat(dorsal.tensors()).containsKey("blocks.5.mlp.fc1.weight");
            assertThat(dorsal.tensors().get("blocks.0.mlp.fc1.weight").values())
                    .containsExactly(trained.get("dorsal.block_0.mlp.fc1_weight"));
        }

        // a trainer of the same config resumes from it (one of another config is refused,
        // CheckpointsTest)
        try (Bimm same = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer resumed = new BimmTrainer(same, options);
            Checkpoints.load(resumed, ckpt);
            assertThat(resumed.getStep()).isEqualTo(1);
            Map<String, float[]> read = snapshot(same);
            trained.forEach((k, v) -> assertThat(read.get(k)).as(k).containsExactly(v));
        }
    }

    private static Map<String, float[]> snapshot(Bimm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }
}
