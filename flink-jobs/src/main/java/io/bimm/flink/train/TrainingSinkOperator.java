package io.bimm.flink.train;

import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.BimmConfig;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.TrainOptions;
import java.nio.file.Paths;
import java.util.OptionalDouble;
import java.util.concurrent.Future;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.state.CheckpointStreamFactory;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The training sink's operator (see {@link TrainingSink}). A step runs on the trainer thread; when
 * it ends, a mail on the task's mailbox reports it (step number out, metrics), writes its periodic
 * or final checkpoint with pictures, and starts the next batch: at once, whether or not another
 * sample arrives. The input waits as {@link SampleBuffer} says. State names and kinds are those of
 * the earlier {@code ProcessFunction} sink, so its savepoints restore.
 */
final class TrainingSinkOperator extends AbstractStreamOperator<Long>
        implements OneInputStreamOperator<TrainingSample, Long> {

    private static final long serialVersionUID = 1L;

    private final Configuration conf;
    private final transient MailboxExecutor mailbox;
    private transient BimmConfig config;
    private transient TrainOptions options;
    private transient long maxSteps;
    private transient AsyncTrainer trainer;
    private transient SampleBuffer pending;
    private transient MaskedBatch nextBatch;
    private transient SinkCheckpoints checkpoints;
    private transient SinkMetrics metrics;
    private transient ValidationPictures pictures;
    private transient StepReporter reporter;
    private transient SinkState state;
    private transient SourceCounts sources;
    private transient StepLimit limit;
    private transient boolean savepoint;
    private transient boolean closed;

    TrainingSinkOperator(StreamOperatorParameters<Long> parameters, Configuration conf) {
        super(parameters);
        this.conf = conf;
        this.mailbox = parameters.getMailboxExecutor();
    }

    @Override
    public void initializeState(StateInitializationContext ctx) throws Exception {
        super.initializeState(ctx);
        config = TrainJob.modelConfig(conf);
        options = TrainJob.trainOptions(conf);
        maxSteps = conf.get(TrainJobOptions.MAX_STEPS);
        checkpoints =
                new SinkCheckpoints(
                        Paths.get(conf.get(TrainJobOptions.CHECKPOINT_DIR)).toAbsolutePath(),
                        conf.get(TrainJobOptions.CHECKPOINT_KEEP));
        pending =
                new SampleBuffer(
                        BatchMix.of(options.getStage(), options.getBatchSize(), imageShare()),
                        options.getBatchSize(),
                        conf.get(TrainJobOptions.PREP_PARALLELISM),
                        conf.get(PrepConfigOptions.REPEATED_SAMPLING));
        trainer =
                AsyncTrainer.create(
                        config,
                        options,
                        conf.get(TrainJobOptions.DEVICE),
                        conf.getOptional(PrecisionOptions.PRECISION),
                        conf.get(PrepConfigOptions.SEED));
        limit = new StepLimit(maxSteps, trainer);
        state = SinkState.register(ctx.getOperatorStateStore());
        sources =
                new SourceCounts(
                        conf.get(TrainJobOptions.CLIPS_TOPIC), conf.get(ImageOptions.IMAGES_TOPIC));
        if (ctx.isRestored()) {
            state.restoreInto(trainer, checkpoints, pending);
            sources.restore(state.pointers(), trainer.trainer().getSamplesSeen());
        } else if (!conf.getOptional(TrainJobOptions.INIT_FROM).orElse("").isBlank()) {
            checkpoints.initFrom(trainer, conf.get(TrainJobOptions.INIT_FROM));
        }
    }

    private OptionalDouble imageShare() {
        var share = conf.getOptional(ImageOptions.IMAGE_SHARE);
        return share.isPresent() ? OptionalDouble.of(share.get()) : OptionalDouble.empty();
    }

    @Override
    public void open() throws Exception {
        super.open();
        metrics =
                new SinkMetrics(getMetricGroup(), getRuntimeContext(), trainer.trainer(), pending);
        // Before the restored batches train: a restored run's first checkpoint may come from them
        // alone, and its pictures show the validation sample the earlier run kept.
        pictures =
                ValidationPictures.open(
                        checkpoints.root(), config, options.getStage(), pending.all());
        reporter = new StepReporter(conf, trainer, checkpoints, metrics, pictures, sources, output);
        // Full batches restored from state train now, not when the next sample arrives.
        startStep();
    }

    @Override
    public void processElement(StreamRecord<TrainingSample> element) throws Exception {
        TrainingSample sample = element.getValue();
        while (pending.mustWait(sample, trainer.busy(), limit.reached())) {
            limit.announceOnce(pending.size());
            // Runs the trainer's "step done" mail (or waits, past the limit, until cancelled).
            mailbox.yield();
        }
        pending.add(sample);
        if (pictures != null) {
            pictures.offerQuietly(sample);
        }
        startStep();
        if (trainer.busy() && nextBatch == null && pending.hasBatch()) {
            // Assembled here while the step runs on the trainer thread.
            nextBatch = SampleBatches.of(config, options.getStage(), pending.peekBatch());
        }
    }

    /** Starts a step on the next batch if one waits, no step runs, and the limit allows. */
    private void startStep() {
        if (closed || trainer.busy() || !pending.hasBatch() || limit.reached()) {
            return;
        }
        MaskedBatch batch =
                nextBatch != null
                        ? nextBatch
                        : SampleBatches.of(config, options.getStage(), pending.peekBatch());
        nextBatch = null;
        sources.started(pending.peekBatch());
        pending.dropBatch();
        metrics.stepStarted(batch.size());
        trainer.start(
                batch, step -> mailbox.execute(() -> stepDone(step), "bimm training step done"));
    }

    /** The trainer's mail: reports the step unless a snapshot already did, starts the next. */
    private void stepDone(Future<AsyncTrainer.Step> step) throws Exception {
        if (closed) {
            return;
        }
        reporter.report(trainer.take(step));
        startStep();
    }

    @Override
    public OperatorSnapshotFutures snapshotState(
            long checkpointId,
            long timestamp,
            CheckpointOptions checkpointOptions,
            CheckpointStreamFactory factory)
            throws Exception {
        savepoint = checkpointOptions.getCheckpointType().isSavepoint();
        return super.snapshotState(checkpointId, timestamp, checkpointOptions, factory);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        // The step in flight belongs to samples already taken from the buffer: finish it, and
        // send its step number, before the barrier.
        reporter.report(trainer.awaitInFlight());
    }

    @Override
    public void snapshotState(StateSnapshotContext ctx) throws Exception {
        super.snapshotState(ctx);
        reporter.report(trainer.awaitInFlight()); // none, after prepareSnapshotPreBarrier
        reporter.snapshot(ctx.getCheckpointId(), savepoint, state, pending);
        // A batch may have waited for the step finished here: start it after the barrier.
        mailbox.execute(this::startStep, "bimm start waiting batch");
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        checkpoints.completed(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        super.notifyCheckpointAborted(checkpointId);
        checkpoints.aborted(checkpointId);
    }

    @Override
    public void close() throws Exception {
        closed = true;
        try (AutoCloseable t = trainer;
                AutoCloseable r = reporter) {
            // the reporter (log, loss curves) closes first, then the trainer
        } finally {
            super.close();
        }
    }
}
