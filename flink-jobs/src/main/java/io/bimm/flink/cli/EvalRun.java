package io.bimm.flink.cli;

import com.google.gson.JsonObject;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;

/**
 * What every pretraining and probe of one {@code bimm eval} command shares: the motion set, the
 * work folder, the pretraining's budget and schedule, and the probe's settings. A configuration
 * ({@link EvalVariant}) and a seed make one run of it.
 */
record EvalRun(
        Path dataset,
        Path work,
        long steps,
        int batchSize,
        Stage stage,
        double baseLr,
        double maskRatio,
        int probeEpochs,
        Double probeBaseLr,
        int port,
        DashboardOptions dashboard,
        ProgressOptions progress) {

    /**
     * The training job's settings for {@code variant} and {@code seed}, without the broker and the
     * checkpoint folder: the {@code tiny} preset, warmup for a tenth of the steps then cosine to
     * zero at the last, four checkpoints, and one reader in produce order with one sample per
     * record, so the seed decides the samples and their order whatever the timing.
     */
    Configuration jobConf(EvalVariant variant, long seed) {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        conf.set(TrainJobOptions.STAGE, stage);
        conf.set(TrainJobOptions.BATCH_SIZE, batchSize);
        conf.set(TrainJobOptions.BASE_LR, baseLr);
        conf.set(PrepConfigOptions.DORSAL_MASK_RATIO, maskRatio);
        conf.set(TrainJobOptions.WARMUP_STEPS, Math.max(1, steps / 10));
        conf.set(TrainJobOptions.HORIZON_STEPS, steps);
        conf.set(TrainJobOptions.MAX_STEPS, steps);
        conf.set(TrainJobOptions.CHECKPOINT_EVERY, (int) Math.max(1, steps / 4));
        conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(60));
        conf.set(TrainJobOptions.GROUP_ID, "bimm-eval");
        conf.set(PrepConfigOptions.SEED, seed);
        conf.set(TrainJobOptions.PREP_PARALLELISM, 1);
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 1);
        return variant.applyTo(conf);
    }

    /** The pretraining of this run's clips. */
    EvalPretraining pretraining() {
        return new EvalPretraining(dataset.resolve("train"), port, dashboard, progress);
    }

    /**
     * The settings a reused pretraining must have been run with, as one line; the configuration is
     * named unless it is plain {@code bimm} (so earlier evaluations stay reusable).
     */
    String pretrainSettings(EvalVariant variant, long seed) {
        return String.format(
                Locale.ROOT,
                "dataset %s, steps %d, batch %d, stage %s, base lr %s, dorsal mask ratio %s,"
                        + " seed %d%s",
                dataset.toAbsolutePath().normalize(),
                steps,
                batchSize,
                stage.name().toLowerCase(Locale.ROOT),
                baseLr,
                maskRatio,
                seed,
                variant.equals(EvalVariant.defaults()) ? "" : ", config " + variant.label());
    }

    /** The settings as JSON fields, and the configuration's label when there is one. */
    JsonObject json(EvalVariant variant) {
        JsonObject json = new JsonObject();
        json.addProperty("dataset", dataset.toString());
        if (variant != null) {
            json.addProperty("config", variant.label());
        }
        json.addProperty("pretrain_batch", batchSize);
        json.addProperty("pretrain_stage", stage.name().toLowerCase(Locale.ROOT));
        json.addProperty("pretrain_base_lr", baseLr);
        json.addProperty("pretrain_dorsal_mask_ratio", maskRatio);
        json.addProperty("probe_epochs", probeEpochs);
        return json;
    }
}
