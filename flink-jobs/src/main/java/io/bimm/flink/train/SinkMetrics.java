package io.bimm.flink.train;

import io.bimm.model.Target;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.Devices;
import io.bimm.model.train.StepResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The training sink's metrics (group {@code bimm}, listed in docs/cli.md, {@code bimm train}) and
 * the {@value TrainingSink#STEPS_ACCUMULATOR} accumulator {@code bimm train} polls. Updated on the
 * task thread; the gauges read volatile fields and the trainer's volatile counters.
 */
final class SinkMetrics {

    private final LongCounter steps;
    private final Counter samplesTrained;
    private final Counter skippedSteps;
    private final Counter checkpointWriteErrors;
    private final Histogram stepMillis;
    private final Histogram dataWaitMillis;
    private volatile StepResult last;
    private volatile long lastDataWaitMillis;
    private volatile long lastCheckpointMillis;
    private long idleSince = System.nanoTime();

    SinkMetrics(
            MetricGroup operator, RuntimeContext ctx, BimmTrainer trainer, SampleBuffer pending) {
        MetricGroup g = operator.addGroup("bimm");
        // Starts at the restored step: bimm train compares it with train.max-steps.
        steps = new LongCounter(trainer.getStep());
        ctx.addAccumulator(TrainingSink.STEPS_ACCUMULATOR, steps);
        samplesTrained = g.counter("samplesTrained");
        skippedSteps = g.counter("skippedSteps");
        checkpointWriteErrors = g.counter("checkpointWriteErrors");
        g.meter("samplesPerSecond", new MeterView(samplesTrained, 30));
        stepMillis = g.histogram("stepTimeMs", new DescriptiveStatisticsHistogram(500));
        dataWaitMillis = g.histogram("dataWaitTimeMs", new DescriptiveStatisticsHistogram(500));
        g.gauge("steps", (Gauge<Long>) trainer::getStep);
        g.gauge("lastDataWaitMs", (Gauge<Long>) () -> lastDataWaitMillis);
        g.gauge("checkpointWriteMs", (Gauge<Long>) () -> lastCheckpointMillis);
        g.gauge("learningRate", (Gauge<Double>) () -> last == null ? 0.0 : last.lr());
        g.gauge("lossTotal", (Gauge<Float>) () -> last == null ? Float.NaN : last.total());
        g.gauge("gradNorm", (Gauge<Float>) () -> last == null ? Float.NaN : last.gradNorm());
        for (Target t : Target.values()) {
            String key = t.key();
            g.gauge(
                    "loss_" + key,
                    (Gauge<Float>)
                            () -> {
                                StepResult r = last;
                                Float v = r == null ? null : r.losses().get(key);
                                return v == null ? Float.NaN : v;
                            });
        }
        g.gauge("pendingSamples", (Gauge<Integer>) pending::size);
        g.gauge("residentMemoryMb", (Gauge<Long>) Devices::residentMemoryMb);
        g.gauge("deviceMemoryMb", (Gauge<Long>) trainer::deviceMemoryMb);
    }

    /** A step of {@code samples} starts: the time since the last step ended waited for data. */
    void stepStarted(int samples) {
        long waited = (System.nanoTime() - idleSince) / 1_000_000;
        lastDataWaitMillis = waited;
        dataWaitMillis.update(waited);
        samplesTrained.inc(samples);
    }

    /** A step ended after {@code millis}; a skipped one counts in {@code skippedSteps} only. */
    void stepDone(StepResult r, long millis) {
        idleSince = System.nanoTime();
        last = r;
        stepMillis.update(millis);
        if (r.skipped()) {
            skippedSteps.inc();
        } else {
            steps.add(1);
        }
    }

    /** How long the latest step waited for its batch. */
    long lastDataWaitMillis() {
        return lastDataWaitMillis;
    }

    /** The latest step's result, or null before the first. */
    StepResult last() {
        return last;
    }

    void checkpointWritten(long millis) {
        lastCheckpointMillis = millis;
    }

    void checkpointFailed() {
        checkpointWriteErrors.inc();
    }
}
