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
import org.apache.flink.runtime.execution.SuppressRestartsException;
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

    /** Nothing verifies and rereading cannot help: the job must fail, not restart forever. */
    @Test
    void noGoodCheckpointLeftFailsWithoutRestarts() throws IOException {
        Path newest = twoCheckpoints();
        for (Path dir : new Path[] {root.resolve("step-000000000003"), newest}) {
            Files.writeString(dir.resolve(Checkpoints.OPTIMIZER), "garbage");
        }
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            assertThatThrownBy(() -> CheckpointRestore.load(trainer, newest, null))
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(newest.toString())
                    .hasMessageContaining("is corrupt: optimizer.safetensors")
                    .hasMessageContaining("no older checkpoint beside it verifies");
        }
    }

    /** A truncated manifest is wrong content too, and a missing checkpoint directory as well. */
    @Test
    void truncatedManifestsAndMissingDirectoriesArePermanent() throws IOException {
        Path newest = twoCheckpoints();
        Path manifest = newest.resolve(Checkpoints.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).substring(0, 40));
        deleteTree(root.resolve("step-000000000003"));
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            assertThatThrownBy(() -> CheckpointRestore.load(trainer, newest, null))
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .hasMessageContaining(manifest.toString());
            Path gone = root.resolve("step-000000000009");
            assertThatThrownBy(() -> CheckpointRestore.load(trainer, gone, "00"))
                    .isInstanceOf(SuppressRestartsException.class);
        }
    }

    /** A file-system error (here: a directory where a file should be) may pass: retryable. */
    @Test
    void aFileSystemErrorStaysRetryable() throws IOException {
        Path newest = twoCheckpoints();
        for (Path dir : new Path[] {root.resolve("step-000000000003"), newest}) {
            Files.delete(dir.resolve(Checkpoints.OPTIMIZER));
            Files.createDirectory(dir.resolve(Checkpoints.OPTIMIZER));
        }
        try (Bimm model = Bimm.newModel(CONFIG, Device.cpu())) {
            BimmTrainer trainer = new BimmTrainer(model, OPTIONS);
            assertThatThrownBy(() -> CheckpointRestore.load(trainer, newest, null))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("no older checkpoint beside it verifies");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
