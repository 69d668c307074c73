package io.bimm.flink.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.train.TrainJob;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * {@code bimm eval} without {@code --compare}: one configuration pretrained with one seed into
 * {@code WORK/pretrain}, probed beside the random encoder; prints the loss table and the {@code
 * eval:} line, and writes {@code WORK/eval.json}.
 */
final class EvalSingle {

    private EvalSingle() {}

    static int run(
            EvalRun run, EvalVariant variant, long seed, LabeledClips train, LabeledClips val)
            throws Exception {
        Configuration conf = run.jobConf(variant, seed);
        EvalPretraining.Done done =
                run.pretraining()
                        .run(
                                run.work().resolve("pretrain"),
                                conf,
                                run.pretrainSettings(variant, seed));
        Path latest = done.checkpoint();
        EvalLosses losses = new EvalLosses(train, conf);
        EvalProbe probe = new EvalProbe(train, val, run.probeEpochs(), run.probeBaseLr(), seed);
        EvalProbe.Outcome pre = probe.pretrained(latest, losses);
        EvalProbe.Outcome rnd = probe.random(TrainJob.modelConfig(conf), seed, losses);
        JsonObject json = run.json(variant);
        json.addProperty("pretrain_checkpoint", latest.toString());
        json.addProperty("pretrain_steps", Checkpoints.stepOf(latest));
        json.addProperty("pretrain_seconds", done.seconds());
        json.addProperty("classes", train.classes().size());
        json.addProperty("train_clips", train.size());
        json.addProperty("val_clips", val.size());
        json.addProperty("pretrained_top1", pre.top1());
        json.addProperty("pretrained_best_top1", pre.bestTop1());
        json.addProperty("random_top1", rnd.top1());
        json.addProperty("random_best_top1", rnd.bestTop1());
        json.add(
                "losses",
                printLosses(train.size() - losses.skipped(), pre.losses(), rnd.losses(), losses));
        Files.createDirectories(run.work());
        Files.writeString(
                run.work().resolve("eval.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
        System.out.printf(
                "eval: linear probe val top1 pretrained=%.4f random=%.4f (chance %.4f; %d"
                        + " pretraining steps, batch %d, %s stage; best epoch %.4f vs %.4f)%n",
                pre.top1(),
                rnd.top1(),
                1.0 / train.classes().size(),
                Checkpoints.stepOf(latest),
                run.batchSize(),
                run.stage().name().toLowerCase(Locale.ROOT),
                pre.bestTop1(),
                rnd.bestTop1());
        return 0;
    }

    /** Prints the loss table of the pretrained and the random model; returns it as JSON. */
    private static JsonObject printLosses(
            int clips, Map<String, Double> pre, Map<String, Double> rnd, EvalLosses losses) {
        Map<String, Double> trivial = losses.trivial();
        Map<String, Double> clipMean = losses.clipMean();
        System.out.printf(
                "pretraining losses on one sample of each of the %d training clips:%n"
                        + "%-16s %10s %10s %10s %10s%n",
                clips, "target", "pretrained", "random", "trivial", "clip mean");
        JsonObject json = new JsonObject();
        for (String key : pre.keySet()) {
            JsonObject row = new JsonObject();
            row.addProperty("pretrained", pre.get(key));
            row.addProperty("random", rnd.get(key));
            if (trivial.containsKey(key)) {
                row.addProperty("trivial", trivial.get(key));
                row.addProperty("clip_mean", clipMean.get(key));
            }
            System.out.printf(
                    Locale.ROOT,
                    "%-16s %10.4f %10.4f %10s %10s%n",
                    key,
                    pre.get(key),
                    rnd.get(key),
                    fixed(trivial.get(key)),
                    fixed(clipMean.get(key)));
            json.add(key, row);
        }
        System.out.println(
                "(trivial: predicting zero for the per-token normalized targets and the mean"
                        + " vector for Gabor, without the encoder; a pretrained loss not below it"
                        + " means pretraining learned nothing that target rewards. clip mean:"
                        + " predicting each masked token by the mean of its sample's masked"
                        + " targets; only the gap from trivial to clip mean is learnable without"
                        + " predicting the pattern inside each masked token)");
        return json;
    }

    /** {@code v} with four decimals, or empty when there is none. */
    private static String fixed(Double v) {
        return v == null ? "" : String.format(Locale.ROOT, "%.4f", v);
    }
}
