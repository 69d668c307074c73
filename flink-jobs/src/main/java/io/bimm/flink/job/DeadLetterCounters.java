package io.bimm.flink.job;

import io.bimm.schemas.DeadLetterReason;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The dead-letter counters of an operator, one per {@link DeadLetterReason}, as one metric with the
 * reason as a key/value group: {@code deadLetters.reason.<code>.count} in Flink's metric ids
 * (REST), and in Prometheus one series name, {@code
 * flink_taskmanager_job_task_operator_deadLetters_reason_count}, with a {@code reason} label.
 */
public final class DeadLetterCounters {

    /** The group under the operator's metric group. */
    public static final String GROUP = "deadLetters";

    /** The key of the key/value group; a Prometheus label. */
    public static final String REASON_KEY = "reason";

    /** The counter's name under each reason. */
    public static final String COUNTER = "count";

    private final Map<DeadLetterReason, Counter> counters;

    private DeadLetterCounters(Map<DeadLetterReason, Counter> counters) {
        this.counters = counters;
    }

    /** Registers the counters of the given reasons (all of them when none are named). */
    public static DeadLetterCounters register(MetricGroup operator, DeadLetterReason... reasons) {
        MetricGroup g = operator.addGroup(GROUP);
        Map<DeadLetterReason, Counter> m = new EnumMap<>(DeadLetterReason.class);
        for (DeadLetterReason r : reasons.length == 0 ? DeadLetterReason.values() : reasons) {
            m.put(r, g.addGroup(REASON_KEY, r.code()).counter(COUNTER));
        }
        return new DeadLetterCounters(m);
    }

    /** Counts one dead letter of this reason. */
    public void inc(DeadLetterReason reason) {
        Counter c = counters.get(reason);
        if (c == null) {
            throw new IllegalArgumentException(
                    "No dead-letter counter registered for reason " + reason.code() + ".");
        }
        c.inc();
    }
}
