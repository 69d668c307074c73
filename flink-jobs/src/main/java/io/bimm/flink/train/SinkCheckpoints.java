package io.bimm.flink.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.StepResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's bookkeeping of model checkpoints against Flink's snapshots: the pointer kept in
 * operator state, {@value TrainingSink#PROGRESS_FILE}, and retention ({@code
 * train.checkpoint-keep}) that never deletes a model checkpoint a Flink snapshot may restore.
 *
 * <p>Spared: those of snapshots in progress, of the newest completed Flink checkpoint (at first the
 * one this run restored), and of the newest savepoint. A savepoint's model checkpoint is recorded
 * in {@value #SAVEPOINT_FILE} when the savepoint completes, so later runs, restored from a newer
 * Flink checkpoint, spare it too.
 */
final class SinkCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(SinkCheckpoints.class);

    /** File in the checkpoint directory naming the model checkpoint of the newest savepoint. */
    static final String SAVEPOINT_FILE = "savepoint.json";

    private final ModelCheckpoints store;
    private final Map<Long, Path> inProgress = new TreeMap<>();
    private final Set<Long> savepoints = new HashSet<>();
    private Path lastSaved;
    private Path lastCompleted;
    private Path savepointDir;

    SinkCheckpoints(Path root, int keep) throws IOException {
        this.store = new ModelCheckpoints(root, keep);
        Files.createDirectories(root);
        Path pin = root.resolve(SAVEPOINT_FILE);
        if (Files.isRegularFile(pin)) {
            try {
                JsonObject p = JsonParser.parseString(Files.readString(pin)).getAsJsonObject();
                savepointDir = Paths.get(p.get("path").getAsString());
            } catch (RuntimeException | IOException e) {
                LOG.warn("Cannot read {}: {}", pin, e.toString());
            }
        }
    }

    Path root() {
        return store.root();
    }

    /** Loads the model checkpoint a restored pointer names ({@link CheckpointRestore}). */
    Path restore(AsyncTrainer trainer, String pointerJson) throws Exception {
        JsonObject p = JsonParser.parseString(pointerJson).getAsJsonObject();
        Path pointed = Paths.get(p.get("path").getAsString());
        String expected = p.get("manifest_sha256").getAsString();
        CheckpointRestore.Restored r =
                trainer.call(() -> CheckpointRestore.load(trainer.trainer(), pointed, expected));
        lastSaved = r.dir();
        lastCompleted = r.dir();
        return r.dir();
    }

    /**
     * Starts from the parameters of the checkpoint {@code from} names ({@link
     * Checkpoints#resolve}).
     */
    Path initFrom(AsyncTrainer trainer, String from) throws Exception {
        Path dir = Checkpoints.resolve(Paths.get(from));
        trainer.call(
                () -> {
                    ModelCheckpoints.initFrom(trainer.trainer(), dir);
                    return null;
                });
        LOG.info("Initialized from {}", dir);
        return dir;
    }

    /**
     * Writes the trainer's state (unless the last save holds this step), then applies retention.
     */
    Path save(AsyncTrainer trainer, StepResult r) throws Exception {
        Map<String, Float> losses = new HashMap<>(r == null ? Map.of() : r.losses());
        if (r != null) {
            losses.put("total", r.total());
        }
        Path previous = lastSaved;
        Path dir = trainer.call(() -> store.save(trainer.trainer(), losses, previous));
        lastSaved = dir;
        List<Path> keep = new ArrayList<>(inProgress.values());
        keep.add(dir);
        if (lastCompleted != null) {
            keep.add(lastCompleted);
        }
        if (savepointDir != null) {
            keep.add(savepointDir);
        }
        store.prune(keep);
        return dir;
    }

    Path lastSaved() {
        return lastSaved;
    }

    Path lastCompleted() {
        return lastCompleted;
    }

    /** The pointer kept in operator state: path, step and manifest checksum of {@code dir}. */
    static JsonObject pointer(Path dir, long step) throws IOException {
        JsonObject p = new JsonObject();
        p.addProperty("path", dir.toAbsolutePath().toString());
        p.addProperty("step", step);
        p.addProperty("manifest_sha256", ModelCheckpoints.manifestSha256(dir));
        return p;
    }

    /** Flink snapshot {@code id} (a savepoint or a checkpoint) points at {@code dir}. */
    void taken(long id, Path dir, boolean savepoint) {
        inProgress.put(id, dir);
        if (savepoint) {
            savepoints.add(id);
        }
    }

    /** Flink snapshot {@code id} completed: its model checkpoint becomes a restore point. */
    void completed(long id) throws IOException {
        Path dir = inProgress.get(id);
        if (dir != null) {
            if (savepoints.contains(id)) {
                savepointDir = dir;
                JsonObject pin = new JsonObject();
                pin.addProperty("path", dir.toAbsolutePath().toString());
                pin.addProperty("flink_checkpoint_id", id);
                writeAtomically(SAVEPOINT_FILE, pin);
            } else {
                lastCompleted = dir;
            }
        }
        inProgress.keySet().removeIf(i -> i <= id);
        savepoints.removeIf(i -> i <= id);
    }

    /** Flink snapshot {@code id} was aborted: it restores nothing. */
    void aborted(long id) {
        inProgress.remove(id);
        savepoints.remove(id);
    }

    /**
     * Writes {@value TrainingSink#PROGRESS_FILE}: what the latest Flink checkpoint holds (model
     * step, samples trained, samples waiting in the partial batch). Samples trained plus pending is
     * every sample the job has taken from Kafka, each once.
     */
    void writeProgress(JsonObject progress) throws IOException {
        writeAtomically(TrainingSink.PROGRESS_FILE, progress);
    }

    private void writeAtomically(String name, JsonObject json) throws IOException {
        Path tmp = store.root().resolve("." + name + "-" + System.nanoTime());
        Files.writeString(tmp, json.toString());
        Files.move(
                tmp,
                store.root().resolve(name),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
