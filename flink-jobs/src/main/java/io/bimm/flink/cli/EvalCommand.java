package io.bimm.flink.cli;

import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.train.Recipe;
import io.bimm.model.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
            defaultValue = "4000",
            description =
                    "Pretraining steps (default: ${DEFAULT-VALUE}, the cheapest budget measured"
                            + " at which pretraining wins on the layers set: about 30 minutes on 2"
                            + " cores; 500, 1000 and 2000 did not).")
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
            defaultValue = "0.01",
            description =
                    "Pretraining blr, lr = blr * batch / 256 (default ${DEFAULT-VALUE}: peak lr"
                            + " 3.1e-4 at batch 8), warmup 10%% then cosine to 0.")
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
            defaultValue = "layers",
            description =
                    "Class set when the dataset is generated: layers (default: which"
                            + " transparent colour layer moves, where pretraining wins), kinds,"
                            + " directions or speeds (see gen-dataset).")
    String set;

    @Option(
            names = "--shapes",
            defaultValue = "1",
            description =
                    "Shapes per clip when the dataset is generated, all moving by the clip's class"
                            + " (default: ${DEFAULT-VALUE}; 6 cover most of the frame).")
    int shapes;

    @Option(
            names = "--recipe",
            defaultValue = "bimm",
            description =
                    "Pretraining recipe: bimm (default: six targets at three depths) or videomae"
                            + " (one decoder on the last block, the final target only).")
    String recipe;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A model option that changes the recipe: model.splits, model.sharing,"
                            + " model.targets, model.loss-weights, model.lambda,"
                            + " prep.ventral-mask-ratio or prep.dorsal-mask-ratio (see bimm train"
                            + " --help).")
    Map<String, String> dynamic = new LinkedHashMap<>();

    @Option(
            names = "--compare",
            arity = "1..*",
            paramLabel = "CONFIG",
            description =
                    "Pretrain and probe each configuration, RECIPE[+KEY=VALUE...] (e.g. bimm"
                            + " videomae bimm+model.splits=12,12,12), with the same data, steps and"
                            + " schedule, for each of --seeds, and the random encoder once per"
                            + " seed; prints one table and writes WORK/eval-compare.json.")
    List<String> compare;

    @Option(
            names = "--seeds",
            split = ",",
            paramLabel = "SEED",
            description = "Seeds of --compare, e.g. 0,1 (default: --seed).")
    List<Long> seeds;

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
        EvalVariant single = variant();
        List<EvalVariant> variants = new ArrayList<>();
        if (compare != null) {
            for (String spec : compare) {
                variants.add(EvalVariant.parse(spec));
            }
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
        EvalRun run = run();
        if (compare == null) {
            return EvalSingle.run(run, single, seed, train, val);
        }
        EvalComparison.run(run, variants, seeds == null ? List.of(seed) : seeds, train, val);
        return 0;
    }

    /** The configuration of a single evaluation: --recipe and -D. */
    private EvalVariant variant() {
        try {
            return EvalVariant.of(Recipe.of(recipe), dynamic);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private EvalRun run() {
        return new EvalRun(
                dataset,
                work,
                steps,
                batchSize,
                Stage.of(stage),
                baseLr,
                maskRatio,
                probeEpochs,
                probeBaseLr,
                port,
                dashboard,
                progressLine);
    }

    /** {@code motion-SET}, or {@code motion-SET-Nshapes} for more than one shape per clip. */
    String defaultDatasetName() {
        return "motion-" + set + (shapes > 1 ? "-" + shapes + "shapes" : "");
    }

    /** The settings line of --seed's pretraining of the single evaluation. */
    String pretrainSettings() {
        return run().pretrainSettings(variant(), seed);
    }
}
