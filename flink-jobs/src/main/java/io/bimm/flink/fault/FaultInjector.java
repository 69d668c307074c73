package io.bimm.flink.fault;

import io.bimm.flink.sample.TrainingSample;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes training samples through, and in the job's first execution attempt throws at the {@code
 * throwAt}-th sample or makes the {@code nanAt}-th one's Gabor target NaN. Later attempts (after a
 * restart) pass everything unchanged, so each fault happens exactly once.
 */
public final class FaultInjector extends ProcessFunction<TrainingSample, TrainingSample> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    private final int throwAt;
    private final int nanAt;
    private transient long seen;
    private transient boolean armed;

    public FaultInjector(int throwAt, int nanAt) {
        this.throwAt = throwAt;
        this.nanAt = nanAt;
    }

    @Override
    public void open(OpenContext ctx) {
        armed = getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
        seen = 0;
    }

    @Override
    public void processElement(TrainingSample s, Context ctx, Collector<TrainingSample> out) {
        seen++;
        if (armed && seen == throwAt) {
            LOG.warn("fault injection: throwing at sample {} ({})", seen, s.clipId);
            throw new InjectedFault("Injected fault at sample " + seen + " (" + s.clipId + ")");
        }
        if (armed && seen == nanAt) {
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
