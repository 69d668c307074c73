package io.bimm.flink.fault;

import io.bimm.flink.sample.TrainingSample;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes training samples through; throws at the {@code throwAt}-th sample in the job's first
 * execution attempt only, so that the restart it causes happens once; and makes the {@code
 * nanAt}-th sample's Gabor target NaN. The count of samples seen is operator state: when a restart
 * rolls the job back to a checkpoint taken before the NaN sample, the replay passes the {@code
 * nanAt}-th sample again and it is made NaN again, so the restored lineage of the model has exactly
 * one step skipped by the NaN guard, whatever the restarts. (A run resumed from this job's
 * savepoint without fault injection must allow this operator's state to stay unclaimed.)
 */
public final class FaultInjector extends ProcessFunction<TrainingSample, TrainingSample>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    private final int throwAt;
    private final int nanAt;
    private transient long seen;
    private transient boolean armed;
    private transient ListState<Long> seenState;

    public FaultInjector(int throwAt, int nanAt) {
        this.throwAt = throwAt;
        this.nanAt = nanAt;
    }

    @Override
    public void open(OpenContext ctx) {
        armed = getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        seenState =
                ctx.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("samples-seen", Long.class));
        seen = 0;
        for (Long v : seenState.get()) {
            seen += v;
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        seenState.update(java.util.List.of(seen));
    }

    @Override
    public void processElement(TrainingSample s, Context ctx, Collector<TrainingSample> out) {
        seen++;
        if (armed && seen == throwAt) {
            LOG.warn("fault injection: throwing at sample {} ({})", seen, s.clipId);
            throw new InjectedFault("Injected fault at sample " + seen + " (" + s.clipId + ")");
        }
        if (seen == nanAt) {
            LOG.warn("fault injection: NaN in the Gabor target of sample {} ({})", seen, s.clipId);
            if (s.ventralGabor != null && s.ventralGabor.length > 0) {
                s.ventralGabor[0] = Float.NaN;
            }
            if (s.dorsalGabor != null && s.dorsalGabor.length > 0) {
                s.dorsalGabor[0] = Float.NaN;
            }
        }
        out.collect(s);
    }

    /** The exception the injector throws. */
    public static final class InjectedFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFault(String message) {
            super(message);
        }
    }
}
