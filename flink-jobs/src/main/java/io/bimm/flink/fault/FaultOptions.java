package io.bimm.flink.fault;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Fault injection for {@code deploy/fault-test.sh}: off by default, and then the job graph has no
 * injection operator at all. Each fault fires once, in the job's first execution attempt.
 */
public final class FaultOptions {

    private FaultOptions() {}

    public static final ConfigOption<Integer> THROW_AT_SAMPLE =
            ConfigOptions.key("fault.throw-at-sample")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "Fault test: throw an exception in the operator before the training"
                                    + " sink when the N-th sample arrives (first attempt only), so"
                                    + " that the job restarts in the same TaskManagers. 0: off.");

    public static final ConfigOption<Integer> NAN_AT_SAMPLE =
            ConfigOptions.key("fault.nan-at-sample")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "Fault test: put a NaN into the Gabor target of the N-th sample (first"
                                    + " attempt only), so that its step is skipped by the NaN/Inf"
                                    + " guard. 0: off.");

    /** Whether {@code conf} asks for any fault. */
    public static boolean enabled(Configuration conf) {
        return conf.get(THROW_AT_SAMPLE) > 0 || conf.get(NAN_AT_SAMPLE) > 0;
    }
}
