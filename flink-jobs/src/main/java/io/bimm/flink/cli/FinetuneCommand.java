package io.bimm.flink.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.flink.finetune.Finetuning;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.finetune.Progress;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Preset;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.BimmTrainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm finetune}: the paper's last step (Algorithm 1, lines 15-16). The dorsal (video) or
 * ventral (image) encoder of a checkpoint plus a head (mean pool, LayerNorm, Linear), trained on
 * labeled folders with AdamW, layer-wise lr decay (Table 9) and label smoothing, or as a linear
 * probe on the frozen encoder.
 */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description = {
            "Finetune a checkpoint's encoder plus a classifier head on labeled clips (one folder"
                    + " per class), or linear-probe it (--linear-probe). Reports validation top-1"
                    + " and top-5 after each epoch and saves the best epoch's classifier as"
                    + " OUT/best.safetensors (encoder keys as in export, plus fc_norm.* and"
                    + " head.*) with OUT/best.json."
        })
public final class FinetuneCommand implements Callable<Integer> {

    @Option(
            names = "--checkpoint",
            paramLabel = "DIR",
            description = "Checkpoint: a step-N directory, a latest link, or a checkpoint root.")
    Path checkpoint;

    @Option(
            names = "--random-init",
            paramLabel = "PRESET",
            description =
                    "Instead of --checkpoint, a randomly initialized model of this preset (a"
                            + " baseline).")
    String randomInit;

    @Option(names = "--train", required = true, paramLabel = "DIR", description = "Class folders.")
    Path trainDir;

    @Option(names = "--val", required = true, paramLabel = "DIR", description = "Class folders.")
    Path valDir;

    @Option(
            names = "--epochs",
            defaultValue = "30",
            description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--linear-probe", description = "Freeze the encoder; train the head only.")
    boolean linearProbe;

    @Option(
            names = "--branch",
            defaultValue = "dorsal",
            description = "dorsal (videos, default) or ventral (images, or frame 0 of videos).")
    String branch;

    @Option(
            names = "--batch-size",
            defaultValue = "16",
            description = "Clips per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--base-lr",
            description =
                    "blr; lr = blr * batch / 256 (default 5e-4 finetuning, Table 9 UCF101; 0.1"
                            + " linear probe).")
    Double baseLr;

    @Option(
            names = "--layer-decay",
            defaultValue = "0.7",
            description = "Layer-wise lr decay (default: ${DEFAULT-VALUE}, Table 9 UCF101).")
    double layerDecay;

    @Option(
            names = "--label-smoothing",
            defaultValue = "0.1",
            description = "Label smoothing (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(
            names = "--warmup-epochs",
            defaultValue = "5",
            description =
                    "Linear warmup epochs before the cosine decay (default: ${DEFAULT-VALUE}).")
    double warmupEpochs;

    @Option(
            names = "--no-augment",
            description =
                    "Finetuning: sample training clips deterministically instead of a new random"
                            + " offset and crop (never a flip) every epoch.")
    boolean noAugment;

    @Option(
            names = "--stride",
            defaultValue = "4",
            description = "Temporal stride tau (default: ${DEFAULT-VALUE}).")
    int stride;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--out",
            defaultValue = "bimm-data/finetune",
            paramLabel = "DIR",
            description = "Where the best classifier goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--no-progress", description = "Hide the progress bar.")
    boolean noProgress;

    @CommandLine.Mixin LimitOptions limits;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Branch br = parseBranch(spec, branch);
        if ((checkpoint == null) == (randomInit == null)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Give exactly one of --checkpoint DIR and --random-init.");
        }
        if (epochs <= 0 || batchSize <= 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--epochs and --batch-size must be positive.");
        }
        DecodeLimits decodeLimits = limits.limits(spec);
        LabeledClips train = LabeledClips.scan(trainDir, null);
        LabeledClips val = LabeledClips.scan(valDir, train.classes());
        Device dev = BimmTrainer.resolveDevice(device);
        try (Bimm model = openModel(checkpoint, randomInit, dev, seed)) {
            Finetuning.Settings s =
                    new Finetuning.Settings(
                            br,
                            linearProbe,
                            epochs,
                            batchSize,
                            baseLr,
                            layerDecay,
                            labelSmoothing,
                            warmupEpochs,
                            !noAugment,
                            stride,
                            seed,
                            out,
                            decodeLimits);
            Finetuning.Result r =
                    Finetuning.run(
                            model,
                            train,
                            val,
                            s,
                            System.out,
                            noProgress ? null : Progress.onTerminal());
            System.out.printf(
                    "best val top1=%.4f top5=%.4f at epoch %d; saved %s%n",
                    r.best().top1(), r.best().top5(), r.best().epoch(), r.saved());
        }
        return 0;
    }

    /** The model of a checkpoint, or a seeded random one of a preset. */
    static Bimm openModel(Path checkpoint, String randomInit, Device dev, long seed)
            throws java.io.IOException {
        if (randomInit != null) {
            Preset p;
            try {
                p = Preset.of(randomInit);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            Engine.getInstance().setRandomSeed((int) seed);
            return Bimm.newModel(BimmConfig.builder(p).build(), dev);
        }
        try {
            return Checkpoints.loadModel(checkpoint, dev);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserException("No checkpoint at " + checkpoint + ".");
        }
    }

    static Branch parseBranch(CommandLine.Model.CommandSpec spec, String branch) {
        try {
            return Branch.of(branch);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--branch must be dorsal or ventral, not " + branch);
        }
    }
}
