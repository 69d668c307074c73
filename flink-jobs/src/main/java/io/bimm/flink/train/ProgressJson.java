package io.bimm.flink.train;

import com.google.gson.JsonObject;

/**
 * The body of {@code progress.json} for a Flink checkpoint: the model checkpoint's pointer with the
 * sink's counts, records and samples apart ({@code prep.repeated-sampling} R samples a record), and
 * per source topic.
 */
final class ProgressJson {

    private ProgressJson() {}

    static JsonObject of(
            JsonObject pointer,
            long checkpointId,
            AsyncTrainer trainer,
            SampleBuffer pending,
            SourceCounts sources) {
        JsonObject p = pointer.deepCopy();
        var t = trainer.trainer();
        p.addProperty("samples_seen", t.getSamplesSeen());
        p.addProperty("pending_samples", pending.size());
        // Every sample of the records read so far is trained, NaN-skipped or pending, never half
        // a record.
        long skipped = t.getSkippedSteps() * pending.batch();
        p.addProperty("repeated_sampling", pending.repeatedSampling());
        p.addProperty(
                "records_covered",
                pending.recordsCovered(
                        t.getSamplesSeen() + skipped, sources.imageSamplesCovered(pending.all())));
        p.addProperty("flink_checkpoint_id", checkpointId);
        p.add("topics", sources.topics(pending.all()));
        return p;
    }
}
