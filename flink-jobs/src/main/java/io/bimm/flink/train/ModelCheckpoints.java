package io.bimm.flink.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.model.Stage;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.AdamW;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training sink's model checkpoint directory: {@code step-N} checkpoints (the model module's
 * format), a {@code latest} link, and retention that never deletes a checkpoint a Flink checkpoint
 * still points to.
 */
final class ModelCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCheckpoints.class);

    /** Name of the link to the newest checkpoint. */
    static final String LATEST = "latest";

    private final Path root;
    private final int keep;

    ModelCheckpoints(Path root, int keep) {
        this.root = root;
        this.keep = Math.max(1, keep);
    }

    Path root() {
        return root;
    }

    /**
     * Saves {@code trainer}'s state, or returns {@code previous} when it already holds this step (a
     * Flink checkpoint taken with no step since the last save). A same-named checkpoint left by an
     * earlier, unrelated run (e.g. {@code --fresh}) is replaced.
     */
    Path save(BimmTrainer trainer, Map<String, Float> losses, Path previous) throws IOException {
        Path target = root.resolve(Checkpoints.dirName(trainer.getStep()));
        Path dir;
        if (previous != null
                && previous.normalize().equals(target.normalize())
                && Files.isRegularFile(target.resolve(Checkpoints.MANIFEST))) {
            dir = target;
        } else {
            if (Files.exists(target)) {
                LOG.warn("Replacing {} left by an earlier run", target);
                deleteTree(target);
            }
            dir = Checkpoints.save(trainer, root, losses);
        }
        link(dir);
        return dir;
    }

    /** Points {@code latest} at {@code dir}, atomically. */
    private void link(Path dir) throws IOException {
        Path tmp = root.resolve(".latest-" + System.nanoTime());
        Files.createSymbolicLink(tmp, dir.getFileName());
        Files.move(
                tmp,
                root.resolve(LATEST),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** Deletes all but the newest {@code keep} checkpoints, sparing {@code protectedDirs}. */
    void prune(Collection<Path> protectedDirs) {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs =
                    s.filter(p -> Checkpoints.stepOf(p) >= 0)
                            .sorted(Comparator.comparingLong(Checkpoints::stepOf))
                            .toList();
        } catch (IOException e) {
            LOG.warn("Cannot list {} for retention: {}", root, e.toString());
            return;
        }
        for (int i = 0; i < dirs.size() - keep; i++) {
            Path d = dirs.get(i);
            if (protectedDirs.stream().anyMatch(p -> p.normalize().equals(d.normalize()))) {
                continue;
            }
            deleteTree(d);
        }
    }

    /** SHA-256 of a checkpoint's manifest (which holds its files' checksums). */
    static String manifestSha256(Path dir) throws IOException {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(Files.readAllBytes(dir.resolve(Checkpoints.MANIFEST))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The training stage a checkpoint was written in. */
    static Stage stageOf(Path dir) throws IOException {
        JsonObject manifest =
                JsonParser.parseString(
                                Files.readString(
                                        dir.resolve(Checkpoints.MANIFEST), StandardCharsets.UTF_8))
                        .getAsJsonObject();
        return TrainOptions.fromJson(manifest.get("train").toString()).getStage();
    }

    /**
     * Initializes {@code trainer}'s parameters from a checkpoint of possibly another stage,
     * starting a new optimization (fresh AdamW state, step 0). A ventral checkpoint starting a
     * joint or dorsal run has its blocks copied and patch kernel inflated (SPEC 5). A checkpoint of
     * another model config is refused without restarts ({@link InitFrom}).
     */
    static void initFrom(BimmTrainer trainer, Path dir) throws IOException {
        try {
            InitFrom.check(dir, trainer.getModel().getConfig());
        } catch (IllegalArgumentException e) {
            throw new SuppressRestartsException(e); // a restart would meet the same checkpoint
        }
        Stage from = stageOf(dir);
        TrainOptions fromOptions = TrainOptions.builder().optStage(from).optBatchSize(1).build();
        BimmTrainer loader = new BimmTrainer(trainer.getModel(), fromOptions);
        Checkpoints.load(loader, dir);
        for (AdamW.State s : loader.getOptimizer().states().values()) {
            s.m.close();
            s.v.close();
        }
        if (from == Stage.VENTRAL && trainer.getOptions().getStage() != Stage.VENTRAL) {
            trainer.getModel().inflateDorsalFromVentral();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    LOG.warn("Cannot delete {}: {}", p, e.toString());
                                }
                            });
        } catch (IOException e) {
            LOG.warn("Cannot delete {}: {}", dir, e.toString());
        }
    }
}
