package io.bimm.flink.cli;

import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.train.TrainJob;
import io.bimm.model.Target;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;

/**
 * {@code bimm eval --compare}: every configuration pretrained and probed for every seed, all the
 * configurations of a seed before the next seed, and the random encoder once per seed. A
 * configuration's pretraining goes to {@code WORK/compare/CONFIG/seed-S/pretrain} and is reused
 * when it is finished; the table grows in {@code WORK/eval-compare.json} as rows finish.
 */
final class EvalComparison {

    /** The table's file in the work folder. */
    static final String FILE = "eval-compare.json";

    private EvalComparison() {}

    static EvalCompareTable run(
            EvalRun run,
            List<EvalVariant> variants,
            List<Long> seeds,
            LabeledClips train,
            LabeledClips val)
            throws Exception {
        List<Target> targets = new ArrayList<>();
        for (Target t : Target.values()) {
            if (run.stage().uses(t.branch())) {
                targets.add(t);
            }
        }
        EvalCompareTable table = new EvalCompareTable(targets);
        var settings = run.json(null);
        settings.addProperty("classes", train.classes().size());
        settings.addProperty("train_clips", train.size());
        settings.addProperty("val_clips", val.size());
        Path out = run.work().resolve(FILE);
        Files.createDirectories(run.work());
        for (long seed : seeds) {
            EvalProbe probe = new EvalProbe(train, val, run.probeEpochs(), run.probeBaseLr(), seed);
            for (EvalVariant v : variants) {
                System.out.println("== " + v.label() + ", seed " + seed);
                Configuration conf = run.jobConf(v, seed);
                Path root =
                        run.work().resolve("compare").resolve(v.folder()).resolve("seed-" + seed);
                EvalPretraining.Done done =
                        run.pretraining()
                                .run(root.resolve("pretrain"), conf, run.pretrainSettings(v, seed));
                EvalProbe.Outcome o =
                        probe.pretrained(done.checkpoint(), new EvalLosses(train, conf));
                table.add(
                        row(
                                v.label(),
                                seed,
                                Checkpoints.stepOf(done.checkpoint()),
                                done.seconds(),
                                o));
                Files.writeString(out, table.json(settings), StandardCharsets.UTF_8);
            }
            Configuration base = run.jobConf(EvalVariant.defaults(), seed);
            EvalProbe.Outcome r =
                    probe.random(TrainJob.modelConfig(base), seed, new EvalLosses(train, base));
            table.add(row(EvalCompareTable.RANDOM, seed, 0, 0, r));
            Files.writeString(out, table.json(settings), StandardCharsets.UTF_8);
        }
        table.print(System.out);
        System.out.println("wrote " + out);
        return table;
    }

    private static EvalCompareTable.Row row(
            String config, long seed, long steps, long seconds, EvalProbe.Outcome o) {
        return new EvalCompareTable.Row(
                config, seed, steps, seconds, o.losses(), o.top1(), o.bestTop1(), o.bestEpoch());
    }
}
