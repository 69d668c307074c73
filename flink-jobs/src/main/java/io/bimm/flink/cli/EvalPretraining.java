package io.bimm.flink.cli;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.Configuration;

/**
 * The pretraining half of {@code bimm eval}: the real training job (embedded Kafka, ingest, Flink
 * MiniCluster) on a motion set's training clips for {@code train.max-steps} steps, or the latest
 * checkpoint of a finished pretraining made with the same settings.
 *
 * <p>Every pretraining gets a broker of its own whose topics have one partition, read by one
 * preprocessing instance: the job sees its samples in the order they were produced, so a seed
 * decides the whole run (samples, masks, initial weights), whatever the timing.
 */
final class EvalPretraining {

    /** Beside the checkpoints: the settings they were pretrained with, checked on reuse. */
    static final String SETTINGS_FILE = "eval-pretrain.txt";

    /** A pretraining's last checkpoint, and the seconds it took (0 when reused). */
    record Done(Path checkpoint, long seconds) {}

    private final Path trainClips;
    private final int port;
    private final DashboardOptions dashboard;
    private final ProgressOptions progress;

    EvalPretraining(
            Path trainClips, int port, DashboardOptions dashboard, ProgressOptions progress) {
        this.trainClips = trainClips;
        this.port = port;
        this.dashboard = dashboard;
        this.progress = progress;
    }

    /**
     * Pretrains {@code conf}'s job into {@code root}, or reuses the latest checkpoint there when it
     * holds the steps and was made with {@code settings} (one line); refuses a folder pretrained
     * with other settings.
     */
    Done run(Path root, Configuration conf, String settings) throws Exception {
        long steps = conf.get(TrainJobOptions.MAX_STEPS);
        Path latest = Checkpoints.latest(root);
        Path settingsFile = root.resolve(SETTINGS_FILE);
        if (latest != null) {
            String was =
                    Files.exists(settingsFile)
                            ? Files.readString(settingsFile, StandardCharsets.UTF_8)
                            : "unknown settings";
            if (!was.equals(settings)) {
                throw new UserException(
                        root
                                + " holds a pretraining with "
                                + was
                                + ", not "
                                + settings
                                + "; delete it or choose another --work.");
            }
            if (Checkpoints.stepOf(latest) >= steps) {
                System.out.println(
                        "reusing " + latest + " (delete " + root + " to pretrain again)");
                return new Done(latest, 0);
            }
        }
        Files.createDirectories(root);
        Files.writeString(settingsFile, settings, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        Path last = pretrain(root, conf);
        return new Done(last, (System.nanoTime() - t0) / 1_000_000_000L);
    }

    private Path pretrain(Path root, Configuration jobConf) throws Exception {
        try (LocalTraining local = new LocalTraining(1)) {
            IngestReport report = local.ingest(List.of(trainClips.toString()), 4);
            System.out.println(report.summaryLine());
            Configuration conf = new Configuration(jobConf);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, root.toString());
            dashboard.applyTo(conf);
            LocalTraining.Result r = local.train(conf, port, progress);
            System.out.println(
                    "pretrained "
                            + r.job().steps()
                            + " steps on "
                            + r.epochs()
                            + " epochs of "
                            + local.clips()
                            + " clips; checkpoint "
                            + r.job().latestCheckpoint());
            if (r.job().latestCheckpoint() == null) {
                throw new UserException("Pretraining left no checkpoint in " + root);
            }
            return r.job().latestCheckpoint();
        }
    }
}
