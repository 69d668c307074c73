package io.bimm.model.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.export.SafetensorsReader;
import io.bimm.model.export.SafetensorsWriter;
import io.bimm.model.train.AdamW;
import io.bimm.model.train.BimmTrainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Training checkpoints: one directory {@code step-<n>} per checkpoint holding {@code
 * params.safetensors}, {@code optimizer.safetensors} (moments, per-parameter step) and {@code
 * manifest.json} (step, samples seen, preset, full config, losses, SHA-256 of both files). Written
 * under a temporary name and renamed, so a crash never leaves a complete-looking half checkpoint.
 */
public final class Checkpoints {

    /** Parameters file name. */
    public static final String PARAMS = "params.safetensors";

    /** Optimizer state file name. */
    public static final String OPTIMIZER = "optimizer.safetensors";

    /** Manifest file name. */
    public static final String MANIFEST = "manifest.json";

    /** Prefix of a checkpoint directory's name: {@code step-} and the step in 12 digits. */
    public static final String STEP_PREFIX = "step-";

    private static final int FORMAT = 1;

    private Checkpoints() {}

    /** The directory name of the checkpoint of {@code step}: {@code step-000000000042}. */
    public static String dirName(long step) {
        return String.format(STEP_PREFIX + "%012d", step);
    }

    /** The step a {@code step-N} checkpoint directory holds, or -1 for any other name. */
    public static long stepOf(Path checkpoint) {
        Path file = checkpoint.getFileName();
        String name = file == null ? "" : file.toString();
        if (!name.startsWith(STEP_PREFIX)) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(STEP_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Writes a checkpoint of {@code trainer} under {@code root}; returns its directory. */
    public static Path save(BimmTrainer trainer, Path root, Map<String, Float> losses)
            throws IOException {
        Bimm model = trainer.getModel();
        Files.createDirectories(root);
        String name = dirName(trainer.getStep());
        Path tmp = Files.createTempDirectory(root, ".tmp-" + name + "-");
        try {
            SafetensorsWriter params = new SafetensorsWriter();
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                Parameter p = e.getValue();
                params.add(e.getKey(), p.getArray().toFloatArray(), p.getShape().getShape());
            }
            params.write(tmp.resolve(PARAMS));
            SafetensorsWriter opt = new SafetensorsWriter();
            for (Map.Entry<String, AdamW.State> e : trainer.getOptimizer().states().entrySet()) {
                AdamW.State s = e.getValue();
                long[] shape = s.m.getShape().getShape();
                opt.add("m." + e.getKey(), s.m.toFloatArray(), shape);
                opt.add("v." + e.getKey(), s.v.toFloatArray(), shape);
                opt.metadata("step." + e.getKey(), Long.toString(s.step));
            }
            opt.write(tmp.resolve(OPTIMIZER));

            JsonObject manifest = new JsonObject();
            manifest.addProperty("format", FORMAT);
            manifest.addProperty("step", trainer.getStep());
            manifest.addProperty("samples_seen", trainer.getSamplesSeen());
            manifest.addProperty("skipped_steps", trainer.getSkippedSteps());
            manifest.addProperty("preset", model.getConfig().getPreset());
            manifest.add("config", JsonParser.parseString(model.getConfig().toJson()));
            manifest.add("train", JsonParser.parseString(trainer.getOptions().toJson()));
            JsonObject lossJson = new JsonObject();
            losses.forEach(lossJson::addProperty);
            manifest.add("losses", lossJson);
            JsonObject sums = new JsonObject();
            sums.addProperty(PARAMS, sha256(tmp.resolve(PARAMS)));
            sums.addProperty(OPTIMIZER, sha256(tmp.resolve(OPTIMIZER)));
            manifest.add("sha256", sums);
            Files.writeString(
                    tmp.resolve(MANIFEST),
                    new GsonBuilder().setPrettyPrinting().create().toJson(manifest),
                    StandardCharsets.UTF_8);
            for (String file : List.of(PARAMS, OPTIMIZER, MANIFEST)) {
                fsync(tmp.resolve(file));
            }
            Path target = root.resolve(name);
            if (Files.exists(target)) {
                throw new IOException("Checkpoint already exists: " + target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            // The rename itself is durable only once the directory holding it is flushed.
            fsyncDirectory(root);
            return target;
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** The newest complete checkpoint under {@code root}, or null when there is none. */
    public static Path latest(Path root) throws IOException {
        return latestSince(root, Long.MIN_VALUE);
    }

    /**
     * The newest complete checkpoint under {@code root} whose manifest was written at or after
     * {@code sinceMillis} (epoch ms), or null: a run's own checkpoints, in a directory that may
     * hold an earlier run's higher steps.
     */
    public static Path latestSince(Path root, long sinceMillis) throws IOException {
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> s = Files.list(root)) {
            TreeSet<String> names = new TreeSet<>();
            s.filter(p -> stepOf(p) >= 0)
                    .filter(p -> writtenSince(p.resolve(MANIFEST), sinceMillis))
                    .forEach(p -> names.add(p.getFileName().toString()));
            return names.isEmpty() ? null : root.resolve(names.last());
        }
    }

    private static boolean writtenSince(Path manifest, long sinceMillis) {
        try {
            return Files.exists(manifest)
                    && (sinceMillis == Long.MIN_VALUE
                            || Files.getLastModifiedTime(manifest).toMillis() >= sinceMillis);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Restores parameters, optimizer state and counters into {@code trainer}; refuses a checkpoint
     * whose checksums or model config do not match.
     */
    public static void load(BimmTrainer trainer, Path dir) throws IOException {
        Path manifestPath = dir.resolve(MANIFEST);
        if (!Files.exists(manifestPath)) {
            throw new InvalidCheckpointException("Not a checkpoint (no " + MANIFEST + "): " + dir);
        }
        JsonObject manifest = readManifest(dir);
        for (String file : List.of(PARAMS, OPTIMIZER)) {
            String expected = checksum(manifest, file, manifestPath);
            String actual = sha256(dir.resolve(file));
            if (!expected.equals(actual)) {
                throw new InvalidCheckpointException(
                        "Checkpoint "
                                + dir
                                + " is corrupt: "
                                + file
                                + " has SHA-256 "
                                + actual
                                + " but the manifest says "
                                + expected
                                + ".");
            }
        }
        Bimm model = trainer.getModel();
        JsonObject expectedConfig = configOf(manifest, manifestPath);
        JsonObject actualConfig =
                JsonParser.parseString(model.getConfig().toJson()).getAsJsonObject();
        List<String> diffs = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(expectedConfig.keySet());
        keys.addAll(actualConfig.keySet());
        for (String k : keys) {
            JsonElement a = expectedConfig.get(k);
            JsonElement b = actualConfig.get(k);
            if (a == null || !a.equals(b)) {
                diffs.add(k + ": checkpoint " + a + " vs model " + b);
            }
        }
        if (!diffs.isEmpty()) {
            throw new IllegalArgumentException(
                    "Checkpoint " + dir + " was written for a different model config: " + diffs);
        }
        setParameters(model, SafetensorsReader.read(dir.resolve(PARAMS)), dir);
        SafetensorsReader opt = SafetensorsReader.read(dir.resolve(OPTIMIZER));
        NDManager owner = model.getManager();
        for (Map.Entry<String, SafetensorsReader.Tensor> e : opt.tensors().entrySet()) {
            if (!e.getKey().startsWith("m.")) {
                continue;
            }
            String name = e.getKey().substring(2);
            SafetensorsReader.Tensor v = opt.tensors().get("v." + name);
            Shape shape = new Shape(e.getValue().shape());
            NDArray m = owner.create(e.getValue().values(), shape);
            NDArray vv = owner.create(v.values(), shape);
            long step = Long.parseLong(opt.metadata().get("step." + name));
            trainer.getOptimizer().putState(name, m, vv, step);
        }
        trainer.restoreCounters(
                longField(manifest, "step", manifestPath),
                longField(manifest, "samples_seen", manifestPath),
                longField(manifest, "skipped_steps", manifestPath));
    }

    /**
     * The parsed {@code manifest.json} of checkpoint {@code dir}; a truncated or malformed one is
     * an {@link IOException} naming the file.
     */
    public static JsonObject readManifest(Path dir) throws IOException {
        Path file = dir.resolve(MANIFEST);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidCheckpointException(
                    "Not a checkpoint (no " + MANIFEST + "): " + dir, e);
        }
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new InvalidCheckpointException(
                        file + " is not a JSON object (truncated or corrupt?).");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new InvalidCheckpointException(
                    file + " is truncated or corrupt: " + e.getMessage() + ".", e);
        }
    }

    private static JsonObject configOf(JsonObject manifest, Path manifestPath) throws IOException {
        JsonElement config = manifest.get("config");
        if (config == null || !config.isJsonObject()) {
            throw new InvalidCheckpointException(manifestPath + " has no model config.");
        }
        return config.getAsJsonObject();
    }

    private static String checksum(JsonObject manifest, String file, Path manifestPath)
            throws IOException {
        JsonElement sums = manifest.get("sha256");
        JsonElement sum =
                sums != null && sums.isJsonObject() ? sums.getAsJsonObject().get(file) : null;
        if (sum == null || !sum.isJsonPrimitive()) {
            throw new InvalidCheckpointException(
                    manifestPath + " has no SHA-256 for " + file + ".");
        }
        return sum.getAsString();
    }

    private static long longField(JsonObject manifest, String key, Path manifestPath)
            throws IOException {
        JsonElement v = manifest.get(key);
        try {
            return v.getAsLong();
        } catch (RuntimeException e) {
            throw new InvalidCheckpointException(manifestPath + " has no number " + key + ".", e);
        }
    }

    /**
     * The checkpoint directory {@code path} names: a {@code step-N} directory, a {@code latest}
     * link to one, or a checkpoint root (its {@code latest} link, else its newest {@code step-N}).
     */
    public static Path resolve(Path path) throws IOException {
        Path p = path.toRealPath();
        if (Files.isRegularFile(p.resolve(MANIFEST))) {
            return p;
        }
        Path link = p.resolve("latest");
        if (Files.isRegularFile(link.resolve(MANIFEST))) {
            return link.toRealPath();
        }
        Path newest = latest(p);
        if (newest == null) {
            throw new InvalidCheckpointException(
                    "Not a checkpoint (no "
                            + MANIFEST
                            + ") and no step-N checkpoint or latest link in it: "
                            + path);
        }
        return newest;
    }

    /** The model config stored in a checkpoint's manifest. */
    public static BimmConfig readConfig(Path dir) throws IOException {
        return BimmConfig.fromJson(configOf(readManifest(dir), dir.resolve(MANIFEST)).toString());
    }

    /**
     * A new model on {@code device} holding the parameters of checkpoint {@code path} (resolved as
     * {@link #resolve} says; checksum verified), for export, features and finetuning.
     */
    public static Bimm loadModel(Path path, Device device) throws IOException {
        Path dir = resolve(path);
        JsonObject manifest = readManifest(dir);
        String expected = checksum(manifest, PARAMS, dir.resolve(MANIFEST));
        String actual = sha256(dir.resolve(PARAMS));
        if (!expected.equals(actual)) {
            throw new InvalidCheckpointException(
                    "Checkpoint "
                            + dir
                            + " is corrupt: "
                            + PARAMS
                            + " does not match its SHA-256.");
        }
        BimmConfig config =
                BimmConfig.fromJson(configOf(manifest, dir.resolve(MANIFEST)).toString());
        SafetensorsReader params = SafetensorsReader.read(dir.resolve(PARAMS));
        Bimm model = Bimm.newModel(config, device);
        try {
            setParameters(model, params, dir);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** Flushes a written file to disk so the rename never publishes unwritten data. */
    private static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Flushes a directory's entries (a rename into it) to disk. */
    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Sets every model parameter from {@code params}; a missing or mis-shaped one is refused. */
    private static void setParameters(Bimm model, SafetensorsReader params, Path dir) {
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            SafetensorsReader.Tensor t = params.tensors().get(e.getKey());
            Parameter p = e.getValue();
            if (t == null || !new Shape(t.shape()).equals(p.getShape())) {
                throw new IllegalArgumentException(
                        "Checkpoint "
                                + dir
                                + " lacks parameter "
                                + e.getKey()
                                + " "
                                + p.getShape());
            }
            p.getArray().set(FloatBuffer.wrap(t.values()));
        }
    }
}
