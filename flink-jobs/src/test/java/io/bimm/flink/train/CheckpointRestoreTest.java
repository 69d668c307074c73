package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restore refuses truncated, corrupted or changed model checkpoints and falls back. */
class CheckpointRestoreTest {

    /** Tiny widths at S = 32, T = 4, shallow: fast on 2 cores. */
    private static final BimmConfig CONFIG =
            BimmConfig.builder(Preset.TINY)
                    .optImageSize(32)
                    .optFrames(4)
                    .optEmbedDim(96, 3)
                    .optDecoder(64, 2, 1, 1, 2)
                    .optSplits(2, 4, 6)
                    .build();

    private static final TrainOptions OPTIONS =
            TrainOptions.builder().optStage(Stage.JOINT).optBatchSize(2).build();

    @TempDir Path root;

    /** Writes checkpoints at steps 3 and 7 (samples seen 6 and 14); returns the newest. */
    private Path twoCheckpoints() throws IOException {
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            trainer.restoreCounters(3, 6, 0);
            Checkpoints.save(trainer, root, Map.of());
            trainer.restoreCounters(7, 14, 1);
            return Checkpoints.save(trainer, root, Map.of());
        }
    }

    @Test
    void loadsAGoodCheckpointAsItIs() throws IOException {
        Path newest = twoCheckpoints();
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            CheckpointRestore.Restored r =
                    CheckpointRestore.load(
                            trainer, newest, ModelCheckpoints.manifestSha256(newest));
            assertThat(r.dir()).isEqualTo(newest);
            assertThat(r.fellBack()).isFalse();
            assertThat(trainer.getStep()).isEqualTo(7);
            assertThat(trainer.getSamplesSeen()).isEqualTo(14);
        }
    }

    @Test
    void truncatedParametersFallBackToThePreviousGoodCheckpoint() throws IOException {
        Path newest = twoCheckpoints();
        String sha = ModelCheckpoints.manifestSha256(newest);
        try (FileChannel ch =
                FileChannel.open(newest.resolve(Checkpoints.PARAMS), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            CheckpointRestore.Restored r = CheckpointRestore.load(trainer, newest, sha);
            assertThat(r.fellBack()).isTrue();
            assertThat(r.dir().getFileName().toString()).isEqualTo("step-000000000003");
            assertThat(r.stepsLost()).isEqualTo(4);
            assertThat(trainer.getStep()).isEqualTo(3);
            assertThat(trainer.getSamplesSeen()).isEqualTo(6);
        }
    }

    @Test
    void aChangedManifestIsRefusedEvenWhenItsFilesVerify() throws IOException {
        Path newest = twoCheckpoints();
        String sha = ModelCheckpoints.manifestSha256(newest);
        Path manifest = newest.resolve(Checkpoints.MANIFEST);
        Files.writeString(
                manifest, Files.readString(manifest).replace("\"step\": 7", "\"step\": 8"));
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            CheckpointRestore.Restored r = CheckpointRestore.load(trainer, newest, sha);
            assertThat(r.fellBack()).isTrue();
            assertThat(trainer.getStep()).isEqualTo(3);
        }
    }

    @Test
    void noGoodCheckpointLeftIsAnError() throws IOException {
        Path newest = twoCheckpoints();
        for (Path dir : new Path[] {root.resolve("step-000000000003"), newest}) {
            Files.writeString(dir.resolve(Checkpoints.OPTIMIZER), "garbage");
        }
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            assertThatThrownBy(() -> CheckpointRestore.load(trainer, newest, null))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("no older checkpoint beside it verifies");
        }
    }
}
