package io.bimm.flink.train;

import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrainingSampleSerializer;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Predictions;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputViewStreamWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fixed validation sample of a training run and the reconstruction pictures written with each
 * user-facing checkpoint. The sample is the first one the sink ever receives, kept in the
 * checkpoint directory ({@value #SAMPLE_FILE}) so that restarts and later runs on the same
 * directory picture the same clip, crop and masks, and the pictures of successive checkpoints can
 * be compared. Failures here are logged and never stop training.
 */
final class ValidationPictures {
    private static final Logger LOG = LoggerFactory.getLogger(ValidationPictures.class);

    static final String SAMPLE_FILE = "validation-sample.bin";

    private final Path file;
    private final BimmConfig config;
    private final Stage stage;
    private final ReconstructionPictures renderer;
    private TrainingSample sample;

    ValidationPictures(Path checkpointDir, BimmConfig config, Stage stage) throws IOException {
        this.file = checkpointDir.resolve(SAMPLE_FILE);
        this.config = config;
        this.stage = stage;
        this.renderer = new ReconstructionPictures(config.getImageSize(), config.getFrames());
        if (Files.exists(file)) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                sample =
                        TrainingSampleSerializer.INSTANCE.deserialize(
                                new DataInputViewStreamWrapper(in));
            } catch (IOException | RuntimeException e) {
                // A sample of another preset or a damaged file: take a new one.
                sample = null;
            }
            if (sample != null && !fits(sample)) {
                sample = null;
            }
        }
    }

    /**
     * The pictures of {@code checkpointDir}'s run, or null when its validation sample cannot be
     * read (logged); {@code waiting} offers a sample when none was kept yet (a restored run).
     */
    static ValidationPictures open(
            Path checkpointDir, BimmConfig config, Stage stage, List<TrainingSample> waiting) {
        try {
            ValidationPictures p = new ValidationPictures(checkpointDir, config, stage);
            if (p.sample == null && !waiting.isEmpty()) {
                p.offer(waiting.get(0));
            }
            return p;
        } catch (IOException e) {
            LOG.warn("Cannot read the validation sample for the pictures: {}", e.toString());
            return null;
        }
    }

    /** {@link #offer}, logging a failure. */
    void offerQuietly(TrainingSample s) {
        try {
            offer(s);
        } catch (IOException e) {
            LOG.warn("Cannot keep the validation sample for the pictures: {}", e.toString());
        }
    }

    /** Writes the model's reconstruction pictures into {@code dir}, logging a failure. */
    void picture(AsyncTrainer trainer, Path dir) {
        if (sample == null) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            MaskedBatch batch = batch();
            Map<Target, float[]> predictions =
                    trainer.call(
                            () -> Predictions.predict(trainer.trainer().getModel(), batch, stage));
            List<Path> files = write(predictions, dir);
            LOG.info(
                    "pictures {} of clip {} in {} ms",
                    files,
                    sample.clipId,
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            LOG.warn("Reconstruction pictures for {} failed: {}", dir, e.toString());
        }
    }

    /** Keeps {@code s} as the validation sample if there is none yet. */
    void offer(TrainingSample s) throws IOException {
        if (sample != null || !fits(s)) {
            return;
        }
        sample = s;
        Path tmp = file.resolveSibling(SAMPLE_FILE + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
            TrainingSampleSerializer.INSTANCE.serialize(s, new DataOutputViewStreamWrapper(out));
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    TrainingSample sample() {
        return sample;
    }

    /** The one-sample batch the model predicts on, or null before the first sample. */
    MaskedBatch batch() {
        return sample == null ? null : SampleBatches.of(config, stage, List.of(sample));
    }

    /** Writes the pictures of {@code predictions} (for {@link #batch()}) into {@code dir}. */
    List<Path> write(Map<Target, float[]> predictions, Path dir) throws IOException {
        return renderer.write(sample, predictions, dir);
    }

    private boolean fits(TrainingSample s) {
        return s.ventralMaskedIdx.length == config.getVentralMasked()
                // An image's sample (no dorsal part) serves a ventral run (docs/images.md).
                && (stage == Stage.VENTRAL || s.dorsalMaskedIdx.length == config.getDorsalMasked())
                && s.ventralPixels.length == config.getVentralVisible() * 16 * 16 * 3;
    }
}
