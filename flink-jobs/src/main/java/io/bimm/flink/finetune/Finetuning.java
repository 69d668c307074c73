package io.bimm.flink.finetune;

import ai.djl.engine.Engine;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.finetune.Accuracy;
import io.bimm.model.finetune.EncoderFeatures;
import io.bimm.model.finetune.FinetuneOptions;
import io.bimm.model.finetune.Finetuner;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One finetuning or linear-probe run on labeled folders: clips sampled through {@link ClipTokens}
 * at the model's S and T, {@link Finetuner} steps, validation top-1 / top-5 after every epoch, and
 * the best epoch's classifier saved. A linear probe samples every clip once (deterministic mode)
 * and trains the head on the frozen encoder's cached features.
 */
public final class Finetuning {

    /**
     * Settings of a run; {@code baseLr} null takes the defaults of {@link FinetuneOptions}; {@code
     * limits} are the job's limits on the (user) files read.
     */
    public record Settings(
            Branch branch,
            boolean linearProbe,
            int epochs,
            int batchSize,
            Double baseLr,
            double layerDecay,
            double labelSmoothing,
            double warmupEpochs,
            boolean augment,
            int stride,
            long seed,
            Path out,
            DecodeLimits limits) {

        /** Settings with the job's default limits. */
        public Settings(
                Branch branch,
                boolean linearProbe,
                int epochs,
                int batchSize,
                Double baseLr,
                double layerDecay,
                double labelSmoothing,
                double warmupEpochs,
                boolean augment,
                int stride,
                long seed,
                Path out) {
            this(
                    branch,
                    linearProbe,
                    epochs,
                    batchSize,
                    baseLr,
                    layerDecay,
                    labelSmoothing,
                    warmupEpochs,
                    augment,
                    stride,
                    seed,
                    out,
                    DecodeLimits.defaults());
        }
    }

    /** Validation accuracy after one epoch. */
    public record Epoch(int epoch, double trainLoss, double top1, double top5) {}

    /** What a run reached. */
    public record Result(List<Epoch> epochs, Epoch best, Path saved) {
        /** Validation top-1 after the last epoch. */
        public double lastTop1() {
            return epochs.get(epochs.size() - 1).top1();
        }
    }

    private Finetuning() {}

    /** Runs {@code s.epochs()} epochs; prints one line per epoch and the best on {@code out}. */
    public static Result run(
            Bimm model,
            LabeledClips train,
            LabeledClips val,
            Settings s,
            PrintStream out,
            Progress progress)
            throws IOException {
        if (!val.classes().equals(train.classes())) {
            throw new IOException(
                    "Train and val class folders differ: "
                            + train.classes()
                            + " vs "
                            + val.classes());
        }
        int classes = train.classes().size();
        int b = Math.min(s.batchSize(), train.size());
        int perEpoch = (train.size() + b - 1) / b;
        FinetuneOptions.Builder ob =
                s.linearProbe() ? FinetuneOptions.linearProbe() : FinetuneOptions.builder();
        ob.optBatchSize(b)
                .optLayerDecay(s.layerDecay())
                .optLabelSmoothing(s.labelSmoothing())
                .setSchedule(Math.round(s.warmupEpochs() * perEpoch), (long) s.epochs() * perEpoch);
        if (s.baseLr() != null) {
            ob.optBaseLr(s.baseLr());
        }
        FinetuneOptions options = ob.build();
        Engine.getInstance().setRandomSeed((int) s.seed());
        Finetuner ft = new Finetuner(model, s.branch(), classes, options);

        DecodeOptions.Builder decode =
                s.limits()
                        .applyTo(DecodeOptions.builder())
                        .optSize(model.getConfig().getImageSize())
                        .optFrames(model.getConfig().getFrames())
                        .optStride(s.stride());
        DecodeOptions fixed = decode.optDeterministic(true).build();
        DecodeOptions random = decode.optDeterministic(false).optFlip(false).build();
        byte[][] valTokens;
        byte[][] trainTokens = null;
        float[] trainFeatures = null;
        float[] valFeatures = null;
        int d = model.getConfig().getEmbedDim();
        try (ClipTokens sampler = new ClipTokens(fixed, s.seed())) {
            valTokens = val.tokens(sampler, s.branch(), 0, progress);
            if (s.linearProbe() || !s.augment()) {
                trainTokens = train.tokens(sampler, s.branch(), 0, progress);
            }
        }
        if (s.linearProbe()) {
            trainFeatures = features(model, s.branch(), trainTokens, b, progress, "train");
            valFeatures = features(model, s.branch(), valTokens, b, progress, "val");
            trainTokens = null;
            // MAE's linear probe puts a BatchNorm without affine before the head: with a frozen
            // encoder that is a fixed per-dimension standardization by training-set statistics.
            float[][] stats = standardization(trainFeatures, d);
            standardize(trainFeatures, stats);
            standardize(valFeatures, stats);
            ft.setInputStandardization(stats[0], stats[1]);
        }
        out.printf(
                "%s: %d train and %d val clips, %d classes, batch %d, %d epochs, peak lr %.3g%s%n",
                s.linearProbe() ? "linear probe" : "finetune",
                train.size(),
                val.size(),
                classes,
                b,
                s.epochs(),
                options.getPeakLr(),
                s.linearProbe() ? "" : ", layer decay " + s.layerDecay());
        List<Epoch> epochs = new ArrayList<>();
        Epoch best = null;
        Path saved = null;
        Random shuffle = new Random(s.seed());
        for (int e = 1; e <= s.epochs(); e++) {
            byte[][] epochTokens = trainTokens;
            if (!s.linearProbe() && s.augment()) {
                try (ClipTokens sampler = new ClipTokens(random, s.seed())) {
                    epochTokens = train.tokens(sampler, s.branch(), e, progress);
                }
            }
            int[] order = permutation(train.size(), shuffle);
            double lossSum = 0;
            for (int k = 0; k < perEpoch; k++) {
                int from = k * b;
                int n = Math.min(b, train.size() - from);
                int[] labels = new int[n];
                for (int i = 0; i < n; i++) {
                    labels[i] = train.label(order[from + i]);
                }
                float loss;
                if (s.linearProbe()) {
                    float[] f = new float[n * d];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(trainFeatures, order[from + i] * d, f, i * d, d);
                    }
                    loss = ft.stepFeatures(f, labels);
                } else {
                    loss = ft.step(concat(epochTokens, order, from, n), labels);
                }
                lossSum += loss;
                if (progress != null) {
                    progress.update(
                            k + 1,
                            perEpoch,
                            String.format("epoch %d/%d loss %.4f", e, s.epochs(), loss));
                }
            }
            if (progress != null) {
                progress.clear();
            }
            Accuracy acc = new Accuracy();
            for (int from = 0; from < val.size(); from += b) {
                int n = Math.min(b, val.size() - from);
                int[] labels = new int[n];
                int[] idx = new int[n];
                for (int i = 0; i < n; i++) {
                    labels[i] = val.label(from + i);
                    idx[i] = from + i;
                }
                float[] logits;
                if (s.linearProbe()) {
                    float[] f = new float[n * d];
                    System.arraycopy(valFeatures, from * d, f, 0, n * d);
                    logits = ft.logitsFromFeatures(f, n);
                } else {
                    logits = ft.logits(concat(valTokens, idx, 0, n), n);
                }
                acc.add(logits, classes, labels);
            }
            Epoch ep = new Epoch(e, lossSum / perEpoch, acc.top1(), acc.top5());
            epochs.add(ep);
            boolean better = best == null || ep.top1() > best.top1();
            if (better) {
                best = ep;
                if (s.out() != null) {
                    saved = save(ft, s, train.classes(), ep);
                }
            }
            out.printf(
                    "epoch %d/%d train_loss=%.4f val_top1=%.4f val_top5=%.4f%s%n",
                    e, s.epochs(), ep.trainLoss(), ep.top1(), ep.top5(), better ? " (best)" : "");
            out.flush();
        }
        return new Result(epochs, best, saved);
    }

    /** Frozen-encoder features {@code (N, D)} flat of every clip. */
    static float[] features(
            Bimm model, Branch branch, byte[][] tokens, int b, Progress progress, String what) {
        int d = model.getConfig().getEmbedDim();
        float[] out = new float[tokens.length * d];
        int[] all = new int[tokens.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        for (int from = 0; from < tokens.length; from += b) {
            int n = Math.min(b, tokens.length - from);
            float[] f = EncoderFeatures.extract(model, branch, concat(tokens, all, from, n), n);
            System.arraycopy(f, 0, out, from * d, n * d);
            if (progress != null) {
                progress.update(from + n, tokens.length, "features " + what);
            }
        }
        if (progress != null) {
            progress.clear();
        }
        return out;
    }

    /** Per-dimension mean and std ({@code (N, D)} flat rows), std floored at 1e-6. */
    static float[][] standardization(float[] rows, int d) {
        int n = rows.length / d;
        double[] sum = new double[d];
        double[] sq = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double v = rows[i * d + j];
                sum[j] += v;
                sq[j] += v * v;
            }
        }
        float[] mean = new float[d];
        float[] std = new float[d];
        for (int j = 0; j < d; j++) {
            double m = sum[j] / n;
            mean[j] = (float) m;
            std[j] = (float) Math.sqrt(Math.max(sq[j] / n - m * m, 0) + 1e-12);
            std[j] = Math.max(std[j], 1e-6f);
        }
        return new float[][] {mean, std};
    }

    static void standardize(float[] rows, float[][] stats) {
        int d = stats[0].length;
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (rows[i] - stats[0][i % d]) / stats[1][i % d];
        }
    }

    private static Path save(Finetuner ft, Settings s, List<String> classes, Epoch ep)
            throws IOException {
        Files.createDirectories(s.out());
        Path file = s.out().resolve("best.safetensors");
        Path tmp = s.out().resolve(".best.safetensors.tmp");
        ft.save(tmp);
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        JsonObject json = new JsonObject();
        json.addProperty("epoch", ep.epoch());
        json.addProperty("val_top1", ep.top1());
        json.addProperty("val_top5", ep.top5());
        json.addProperty("branch", s.branch().key());
        json.addProperty("linear_probe", s.linearProbe());
        json.add("classes", new com.google.gson.Gson().toJsonTree(classes));
        json.add(
                "bimm", com.google.gson.JsonParser.parseString(ft.getModel().getConfig().toJson()));
        Files.writeString(
                s.out().resolve("best.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
        return file;
    }

    static byte[] concat(byte[][] tokens, int[] order, int from, int n) {
        int per = tokens[order[from]].length;
        byte[] out = new byte[n * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tokens[order[from + i]], 0, out, i * per, per);
        }
        return out;
    }

    private static int[] permutation(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
