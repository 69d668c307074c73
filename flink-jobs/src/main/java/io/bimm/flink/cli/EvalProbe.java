package io.bimm.flink.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.flink.finetune.Finetuning;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.finetune.Progress;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.file.Path;
import java.util.Map;

/**
 * The probing half of {@code bimm eval}: a linear probe of an encoder's mean-pooled dorsal features
 * on the labeled clips, trained on {@code train} and measured on {@code val}, with the pretraining
 * losses of the same model ({@link EvalLosses}).
 */
final class EvalProbe {

    /** What one encoder reached: its probe, and its pretraining losses by target key. */
    record Outcome(Finetuning.Result probe, Map<String, Double> losses) {
        /** Validation top-1 after the last epoch. */
        double top1() {
            return probe.lastTop1();
        }

        /** The best epoch's validation top-1. */
        double bestTop1() {
            return probe.best().top1();
        }

        /** The best epoch (1-based). */
        int bestEpoch() {
            return probe.best().epoch();
        }
    }

    private final LabeledClips train;
    private final LabeledClips val;
    private final Finetuning.Settings settings;

    EvalProbe(LabeledClips train, LabeledClips val, int epochs, Double baseLr, long seed) {
        this.train = train;
        this.val = val;
        this.settings =
                new Finetuning.Settings(
                        Branch.DORSAL, true, epochs, 32, baseLr, 1.0, 0.1, 5, false, 4, seed, null);
    }

    /** Probes the encoder of {@code checkpoint}. */
    Outcome pretrained(Path checkpoint, EvalLosses losses) throws Exception {
        System.out.println("== linear probe of the pretrained encoder (" + checkpoint + ")");
        try (Bimm model = Checkpoints.loadModel(checkpoint, Device.cpu())) {
            Map<String, Double> l = losses.of(model);
            return new Outcome(run(model), l);
        }
    }

    /** Probes a randomly initialized encoder of {@code config}, initialized from {@code seed}. */
    Outcome random(BimmConfig config, long seed, EvalLosses losses) throws Exception {
        System.out.println("== linear probe of a randomly initialized encoder");
        Engine.getInstance().setRandomSeed((int) seed);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            Map<String, Double> l = losses.of(model);
            return new Outcome(run(model), l);
        }
    }

    private Finetuning.Result run(Bimm model) throws Exception {
        return Finetuning.run(model, train, val, settings, System.out, Progress.onTerminal());
    }
}
