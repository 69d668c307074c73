package io.bimm.flink.train;

import com.google.gson.JsonObject;
import io.bimm.model.train.StepResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the training sink does with a finished step, on the task thread: metrics, a line of the
 * {@link TrainingLog}, its step number downstream, and every {@code train.checkpoint-every} steps
 * and at {@code train.max-steps} a model checkpoint with reconstruction pictures and loss curves. A
 * step the NaN/Inf guard skipped made no update: it is counted and logged, nothing else.
 */
final class StepReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StepReporter.class);

    private final AsyncTrainer trainer;
    private final SinkCheckpoints checkpoints;
    private final SinkMetrics metrics;
    private final ValidationPictures pictures;
    private final TrainingLog log;
    private final LossCurvesWriter curves;
    private final SourceCounts sources;
    private final Output<StreamRecord<Long>> output;
    private final int checkpointEvery;
    private final long maxSteps;

    StepReporter(
            Configuration conf,
            AsyncTrainer trainer,
            SinkCheckpoints checkpoints,
            SinkMetrics metrics,
            ValidationPictures pictures,
            SourceCounts sources,
            Output<StreamRecord<Long>> output)
            throws IOException {
        this.trainer = trainer;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
        this.pictures = pictures;
        this.sources = sources;
        // At the state the trainer starts from: restored, or fresh.
        this.log =
                TrainingLog.open(
                        checkpoints.root(),
                        trainer.trainer().getStep(),
                        trainer.trainer().getSkippedSteps(),
                        conf.get(TrainingLogOptions.LOG_EVERY));
        this.curves = new LossCurvesWriter(checkpoints.root());
        this.output = output;
        this.checkpointEvery = conf.get(TrainJobOptions.CHECKPOINT_EVERY);
        this.maxSteps = conf.get(TrainJobOptions.MAX_STEPS);
    }

    /** Reports {@code step} (null: nothing to report), counting its samples per source topic. */
    void report(AsyncTrainer.Step step) {
        if (step == null) {
            return;
        }
        StepResult r = step.result();
        sources.finished(!r.skipped());
        metrics.stepDone(r, step.millis());
        if (log.wants(r.step(), r.skipped())) {
            log.append(entry(r, step.millis()));
        }
        if (r.skipped()) {
            LOG.warn(
                    "Update after step {} skipped by the NaN/Inf guard: loss {}, gradient norm {},"
                            + " losses {}",
                    r.step(),
                    r.total(),
                    r.gradNorm(),
                    r.losses());
            return;
        }
        output.collect(new StreamRecord<>(r.step()));
        boolean periodic = checkpointEvery > 0 && r.step() % checkpointEvery == 0;
        boolean finalStep = maxSteps > 0 && r.step() >= maxSteps;
        if (!periodic && !finalStep) {
            return;
        }
        Path dir;
        try {
            dir = checkpoint(r);
        } catch (Exception e) {
            // Disk full or unwritable: the last good checkpoint stays; training goes on.
            LOG.error(
                    "checkpoint write failed at step {}: {}; keeping the last good checkpoint {}",
                    r.step(),
                    e.toString(),
                    checkpoints.lastSaved());
            return;
        }
        LOG.info(
                "checkpoint step={} loss={} dir={}{}",
                r.step(),
                r.total(),
                dir,
                finalStep ? " (final, train.max-steps reached)" : "");
        if (pictures != null) {
            pictures.picture(trainer, dir);
        }
        curves.write(dir);
    }

    /** The log line of {@code r}; the step is over and the next not started: counters are its. */
    private TrainingLogEntry entry(StepResult r, long millis) {
        var t = trainer.trainer();
        return new TrainingLogEntry(
                r.step(),
                Instant.now().truncatedTo(ChronoUnit.MILLIS),
                t.getSamplesSeen(),
                r.losses(),
                r.total(),
                r.lr(),
                r.gradNorm(),
                millis,
                metrics.lastDataWaitMillis(),
                t.deviceMemoryMb(),
                r.skipped(),
                t.getSkippedSteps());
    }

    /** Writes the trainer's state as a model checkpoint (timed, failures counted). */
    Path checkpoint(StepResult r) throws Exception {
        long t0 = System.nanoTime();
        try {
            Path dir = checkpoints.save(trainer, r);
            metrics.checkpointWritten((System.nanoTime() - t0) / 1_000_000);
            return dir;
        } catch (Exception e) {
            metrics.checkpointFailed();
            throw e;
        }
    }

    /**
     * The sink's part of Flink checkpoint (or savepoint) {@code id}: a model checkpoint of the
     * trainer's state, its pointer and the waiting samples into operator state, and {@code
     * progress.json}. A failed write fails the job over to the last completed Flink checkpoint,
     * whose model checkpoint is untouched: progress since then is trained again, never half-saved.
     */
    void snapshot(long id, boolean savepoint, SinkState state, SampleBuffer pending)
            throws Exception {
        // The log's lines up to this state are durable before a pointer to it is.
        log.sync();
        Path dir;
        try {
            dir = checkpoint(metrics.last());
        } catch (IOException e) {
            LOG.error(
                    "checkpoint write failed for Flink checkpoint {} at step {}: {}; the last good"
                            + " checkpoint {} stays the restore point",
                    id,
                    trainer.trainer().getStep(),
                    e.toString(),
                    checkpoints.lastCompleted());
            throw e;
        }
        JsonObject p = SinkCheckpoints.pointer(dir, trainer.trainer().getStep());
        sources.addTo(p);
        state.update(p, pending.all());
        checkpoints.taken(id, dir, savepoint);
        p = ProgressJson.of(p, id, trainer, pending, sources);
        checkpoints.writeProgress(p);
    }

    /** Finishes the loss curves being drawn and closes the log. */
    @Override
    public void close() throws Exception {
        try {
            curves.close();
        } finally {
            log.close();
        }
    }
}
