package io.bimm.flink.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.finetune.Finetuning;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.finetune.Progress;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.sample.SamplePipeline;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrivialLosses;
import io.bimm.flink.train.SampleBatches;
import io.bimm.flink.train.TrainJob;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Predictions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bimm eval}: does pretraining help? Generates the motion set (if needed), pretrains the
 * {@code tiny} preset on its unlabeled training clips with the real training job (embedded Kafka,
 * ingest, Flink MiniCluster) for a fixed number of steps, then linear-probes the pretrained and a
 * randomly initialized encoder on the labels and reports both.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Pretrain the tiny preset on the generated motion set's training clips (labels unused)"
                    + " with the real training job, then linear-probe the pretrained and a randomly"
                    + " initialized dorsal encoder on the labels; prints both validation"
                    + " accuracies. Reuses WORK/pretrain when it already holds --steps steps"
                    + " pretrained with the same settings."
        })
public final class EvalCommand implements Callable<Integer> {

    /** Beside the checkpoints: the settings they were pretrained with, checked on reuse. */
    static final String PRETRAIN_SETTINGS = "eval-pretrain.txt";

    @Option(
            names = "--dataset",
            paramLabel = "DIR",
            description =
                    "Motion set; generated with the defaults when missing (default:"
                            + " bimm-data/motion-SET, or bimm-data/motion-SET-Nshapes with --shapes N).")
    Path dataset;

    @Option(
            names = "--work",
            defaultValue = "bimm-data/eval",
            paramLabel = "DIR",
            description = "Checkpoints and results (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(
            names = "--steps",
            defaultValue = "200",
            description = "Pretraining steps (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Pretraining batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--stage",
            defaultValue = "dorsal",
            description =
                    "Pretraining stage: dorsal (default: the video branch alone, the cheapest that"
                            + " trains the probed encoder), joint or ventral.")
    String stage;

    @Option(
            names = "--base-lr",
            defaultValue = "0.03",
            description =
                    "Pretraining blr, lr = blr * batch / 256 (default ${DEFAULT-VALUE}: peak lr"
                            + " 9.4e-4 at batch 8, for a short run), warmup 10%% then cosine to 0.")
    double baseLr;

    @Option(
            names = "--mask-ratio",
            defaultValue = "0.9",
            description = "Dorsal tube mask ratio of the pretraining (default: ${DEFAULT-VALUE}).")
    double maskRatio;

    @Option(
            names = "--probe-epochs",
            defaultValue = "100",
            description = "Linear-probe epochs (default: ${DEFAULT-VALUE}).")
    int probeEpochs;

    @Option(
            names = "--probe-base-lr",
            description = "Linear-probe blr (default: bimm finetune's, 0.1).")
    Double probeBaseLr;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--set",
            defaultValue = "kinds",
            description =
                    "Class set when the dataset is generated: kinds (default: five kinds of"
                            + " motion), directions, speeds or layers (see gen-dataset).")
    String set;

    @Option(
            names = "--shapes",
            defaultValue = "1",
            description =
                    "Shapes per clip when the dataset is generated, all moving by the clip's class"
                            + " (default: ${DEFAULT-VALUE}; 6 cover most of the frame).")
    int shapes;

    @Option(
            names = "--port",
            defaultValue = "8081",
            description = "Flink dashboard port (default: ${DEFAULT-VALUE}).")
    int port;

    @Mixin DashboardOptions dashboard = new DashboardOptions();

    @Mixin ProgressOptions progressLine = new ProgressOptions();

    @Override
    public Integer call() throws Exception {
        if (steps <= 0 || batchSize <= 0 || probeEpochs <= 0) {
            throw new UserException("--steps, --batch-size and --probe-epochs must be positive.");
        }
        if (shapes < 1) {
            throw new UserException("--shapes must be positive.");
        }
        try {
            Stage.of(stage);
        } catch (IllegalArgumentException e) {
            throw new UserException("--stage: " + e.getMessage());
        }
        if (dataset == null) {
            dataset = Path.of("bimm-data", defaultDatasetName());
        }
        if (!Files.isDirectory(dataset.resolve("train"))) {
            MotionDataset.Settings settings;
            try {
                settings =
                        MotionDataset.Settings.defaults(io.bimm.flink.dataset.MotionClass.set(set))
                                .withShapes(shapes);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            int n = MotionDataset.generate(dataset, settings);
            System.out.println("generated " + n + " clips in " + dataset);
        }
        LabeledClips train = LabeledClips.scan(dataset.resolve("train"), null);
        LabeledClips val = LabeledClips.scan(dataset.resolve("val"), train.classes());
        Path ckptRoot = work.resolve("pretrain");
        Path latest = Checkpoints.latest(ckptRoot);
        Path settingsFile = ckptRoot.resolve(PRETRAIN_SETTINGS);
        String settings = pretrainSettings();
        if (latest != null) {
            String was =
                    Files.exists(settingsFile)
                            ? Files.readString(settingsFile, StandardCharsets.UTF_8)
                            : "unknown settings";
            if (!was.equals(settings)) {
                throw new UserException(
                        ckptRoot
                                + " holds a pretraining with "
                                + was
                                + ", not "
                                + settings
                                + "; delete it or choose another --work.");
            }
        }
        long seconds = 0;
        if (latest != null && Checkpoints.stepOf(latest) >= steps) {
            System.out.println(
                    "reusing " + latest + " (delete " + ckptRoot + " to pretrain again)");
        } else {
            Files.createDirectories(ckptRoot);
            Files.writeString(settingsFile, settings, StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            latest = pretrain(ckptRoot);
            seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        }
        Finetuning.Settings probe =
                new Finetuning.Settings(
                        Branch.DORSAL,
                        true,
                        probeEpochs,
                        32,
                        probeBaseLr,
                        1.0,
                        0.1,
                        5,
                        false,
                        4,
                        seed,
                        null);
        Progress progress = Progress.onTerminal();
        TrivialLosses trivial = new TrivialLosses();
        Stage pretrainStage = TrainJob.stage(jobConf());
        List<MaskedBatch> lossBatches = lossSamples(train, pretrainStage, trivial);
        Finetuning.Result pre;
        Map<String, Double> preLoss;
        BimmConfig config;
        System.out.println("== linear probe of the pretrained encoder (" + latest + ")");
        try (Bimm model = Checkpoints.loadModel(latest, Device.cpu())) {
            config = model.getConfig();
            preLoss = meanLosses(model, lossBatches, pretrainStage);
            pre = Finetuning.run(model, train, val, probe, System.out, progress);
        }
        System.out.println("== linear probe of a randomly initialized encoder");
        Finetuning.Result rnd;
        Map<String, Double> rndLoss;
        Engine.getInstance().setRandomSeed((int) seed);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            rndLoss = meanLosses(model, lossBatches, pretrainStage);
            rnd = Finetuning.run(model, train, val, probe, System.out, progress);
        }
        Map<String, Double> trivialLoss = trivial.losses();
        Map<String, Double> clipMeanLoss = trivial.clipMeanLosses();
        System.out.printf(
                "pretraining losses on one sample of each of the %d training clips:%n"
                        + "%-16s %10s %10s %10s %10s%n",
                train.size(), "target", "pretrained", "random", "trivial", "clip mean");
        JsonObject losses = new JsonObject();
        for (String key : preLoss.keySet()) {
            JsonObject row = new JsonObject();
            row.addProperty("pretrained", preLoss.get(key));
            row.addProperty("random", rndLoss.get(key));
            if (trivialLoss.containsKey(key)) {
                row.addProperty("trivial", trivialLoss.get(key));
                row.addProperty("clip_mean", clipMeanLoss.get(key));
            }
            System.out.printf(
                    java.util.Locale.ROOT,
                    "%-16s %10.4f %10.4f %10s %10s%n",
                    key,
                    preLoss.get(key),
                    rndLoss.get(key),
                    fixed(trivialLoss.get(key)),
                    fixed(clipMeanLoss.get(key)));
            losses.add(key, row);
        }
        System.out.println(
                "(trivial: predicting zero for the per-token normalized targets and the mean"
                        + " vector for Gabor, without the encoder; a pretrained loss not below it"
                        + " means pretraining learned nothing that target rewards. clip mean:"
                        + " predicting each masked token by the mean of its sample's masked"
                        + " targets; only the gap from trivial to clip mean is learnable without"
                        + " predicting the pattern inside each masked token)");
        JsonObject json = new JsonObject();
        json.addProperty("dataset", dataset.toString());
        json.addProperty("pretrain_checkpoint", latest.toString());
        json.addProperty("pretrain_steps", Checkpoints.stepOf(latest));
        json.addProperty("pretrain_batch", batchSize);
        json.addProperty("pretrain_stage", stage);
        json.addProperty("pretrain_base_lr", baseLr);
        json.addProperty("pretrain_dorsal_mask_ratio", maskRatio);
        json.addProperty("pretrain_seconds", seconds);
        json.addProperty("probe_epochs", probeEpochs);
        json.addProperty("classes", train.classes().size());
        json.addProperty("train_clips", train.size());
        json.addProperty("val_clips", val.size());
        json.addProperty("pretrained_top1", pre.lastTop1());
        json.addProperty("pretrained_best_top1", pre.best().top1());
        json.addProperty("random_top1", rnd.lastTop1());
        json.addProperty("random_best_top1", rnd.best().top1());
        json.add("losses", losses);
        Files.createDirectories(work);
        Files.writeString(
                work.resolve("eval.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
        System.out.printf(
                "eval: linear probe val top1 pretrained=%.4f random=%.4f (chance %.4f; %d"
                        + " pretraining steps, batch %d, %s stage; best epoch %.4f vs %.4f)%n",
                pre.lastTop1(),
                rnd.lastTop1(),
                1.0 / train.classes().size(),
                Checkpoints.stepOf(latest),
                batchSize,
                stage,
                pre.best().top1(),
                rnd.best().top1());
        return 0;
    }

    private Path pretrain(Path ckptRoot) throws Exception {
        try (LocalTraining local = new LocalTraining(1)) {
            IngestReport report = local.ingest(List.of(dataset.resolve("train").toString()), 4);
            System.out.println(report.summaryLine());
            Configuration conf = jobConf();
            conf.set(TrainJobOptions.CHECKPOINT_DIR, ckptRoot.toString());
            dashboard.applyTo(conf);
            LocalTraining.Result r = local.train(conf, port, progressLine);
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
                throw new UserException("Pretraining left no checkpoint in " + ckptRoot);
            }
            return r.job().latestCheckpoint();
        }
    }

    /** The training job's settings, without the broker and the checkpoint folder. */
    private Configuration jobConf() {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        conf.set(TrainJobOptions.STAGE, Stage.of(stage));
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
        // one reader in produce order (LocalTraining(1)), one sample per record: the same samples
        // in the same order for a given seed, whatever the timing
        conf.set(TrainJobOptions.PREP_PARALLELISM, 1);
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 1);
        return conf;
    }

    /**
     * One training sample of every training clip (crop, offset and masks as the job draws them),
     * packed in batches, and the trivial predictions' losses on them.
     */
    private List<MaskedBatch> lossSamples(LabeledClips train, Stage st, TrivialLosses trivial)
            throws Exception {
        Configuration conf = jobConf();
        BimmConfig config = TrainJob.modelConfig(conf);
        List<MaskedBatch> batches = new ArrayList<>();
        List<TrainingSample> pending = new ArrayList<>();
        try (SamplePipeline pipeline = new SamplePipeline(TrainJob.prepOptions(conf, config))) {
            for (int i = 0; i < train.size(); i++) {
                Path f = train.files().get(i);
                TrainingSample s = pipeline.process(Files.readAllBytes(f), f.toString(), 0);
                trivial.add(s);
                pending.add(s);
                if (pending.size() == batchSize || i == train.size() - 1) {
                    batches.add(SampleBatches.of(config, st, pending));
                    pending.clear();
                }
            }
        }
        return batches;
    }

    /** {@code v} with four decimals, or empty when there is none. */
    private static String fixed(Double v) {
        return v == null ? "" : String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    /** A model's mean losses over {@code batches}, by target key. */
    private static Map<String, Double> meanLosses(Bimm model, List<MaskedBatch> batches, Stage st) {
        Map<String, Double> sum = new java.util.LinkedHashMap<>();
        int n = 0;
        for (MaskedBatch b : batches) {
            Predictions.losses(model, b, st)
                    .forEach((k, v) -> sum.merge(k, (double) v * b.size(), Double::sum));
            n += b.size();
        }
        int total = n;
        sum.replaceAll((k, v) -> v / total);
        return sum;
    }

    /** {@code motion-SET}, or {@code motion-SET-Nshapes} for more than one shape per clip. */
    String defaultDatasetName() {
        return "motion-" + set + (shapes > 1 ? "-" + shapes + "shapes" : "");
    }

    /** The settings a reused pretraining must have been run with, as one line. */
    String pretrainSettings() {
        return String.format(
                java.util.Locale.ROOT,
                "dataset %s, steps %d, batch %d, stage %s, base lr %s, dorsal mask ratio %s,"
                        + " seed %d",
                dataset.toAbsolutePath().normalize(),
                steps,
                batchSize,
                stage,
                baseLr,
                maskRatio,
                seed);
    }
}
