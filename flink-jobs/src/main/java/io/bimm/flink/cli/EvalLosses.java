package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.finetune.LabeledClips;
import io.bimm.flink.sample.SamplePipeline;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrivialLosses;
import io.bimm.flink.train.SampleBatches;
import io.bimm.flink.train.TrainJob;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Predictions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * The pretraining losses {@code bimm eval} reports: one training sample of every training clip
 * (crop, offset and masks as the job draws them), and the mean loss per target of a model on them,
 * beside the trivial predictions' losses ({@link TrivialLosses}).
 */
final class EvalLosses {

    private final List<MaskedBatch> batches = new ArrayList<>();
    private final TrivialLosses trivial = new TrivialLosses();
    private final Stage stage;
    private int skipped;

    /** Draws the samples of {@code train}'s clips as the job of {@code conf} does. */
    EvalLosses(LabeledClips train, Configuration conf) throws Exception {
        BimmConfig config = TrainJob.modelConfig(conf);
        int batchSize = conf.get(io.bimm.flink.train.TrainJobOptions.BATCH_SIZE);
        this.stage = TrainJob.stage(conf);
        List<TrainingSample> pending = new ArrayList<>();
        try (SamplePipeline pipeline = new SamplePipeline(TrainJob.prepOptions(conf, config))) {
            for (int i = 0; i < train.size(); i++) {
                Path f = train.files().get(i);
                try {
                    TrainingSample s = pipeline.process(Files.readAllBytes(f), f.toString(), 0);
                    trivial.add(s);
                    pending.add(s);
                } catch (DecodeException e) {
                    // one clip the limits refuse (or a machine too busy for the time limit) leaves
                    // the others' losses meaningful: say so and go on
                    skipped++;
                    System.err.println("eval: loss table without " + f + ": " + e.getMessage());
                }
                if (!pending.isEmpty() && (pending.size() == batchSize || i == train.size() - 1)) {
                    batches.add(SampleBatches.of(config, stage, pending));
                    pending.clear();
                }
            }
        }
    }

    /** Training clips left out of the table because they did not decode within the limits. */
    int skipped() {
        return skipped;
    }

    /** A model's mean losses over the samples, by target key (and {@code total}). */
    Map<String, Double> of(Bimm model) {
        Map<String, Double> sum = new LinkedHashMap<>();
        int n = 0;
        for (MaskedBatch b : batches) {
            Predictions.losses(model, b, stage)
                    .forEach((k, v) -> sum.merge(k, (double) v * b.size(), Double::sum));
            n += b.size();
        }
        int total = n;
        sum.replaceAll((k, v) -> v / total);
        return sum;
    }

    /** The trivial predictions' losses, by target key. */
    Map<String, Double> trivial() {
        return trivial.losses();
    }

    /** The clip mean's losses, by target key. */
    Map<String, Double> clipMean() {
        return trivial.clipMeanLosses();
    }
}
