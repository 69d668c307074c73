package io.bimm.flink.train;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options of the training log ({@value TrainingLog#FILE} in the checkpoint directory). */
public final class TrainingLogOptions {

    public static final ConfigOption<Integer> LOG_EVERY =
            ConfigOptions.key("train.log-every")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Write a line to training-log.jsonl in the checkpoint directory every"
                                    + " N steps (steps the NaN/Inf guard skipped are always"
                                    + " written).");

    private TrainingLogOptions() {}
}
