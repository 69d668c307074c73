package io.bimm.flink.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code train.max-steps} for the training sink, counting the step in flight; says once, when the
 * limit is reached, that the input now waits.
 */
final class StepLimit {

    private static final Logger LOG = LoggerFactory.getLogger(StepLimit.class);

    private final long maxSteps;
    private final AsyncTrainer trainer;
    private boolean announced;

    StepLimit(long maxSteps, AsyncTrainer trainer) {
        this.maxSteps = maxSteps;
        this.trainer = trainer;
    }

    /** Whether the finished steps and the one in flight reach the limit (never when it is 0). */
    boolean reached() {
        long steps = trainer.trainer().getStep() + (trainer.busy() ? 1 : 0);
        return maxSteps > 0 && steps >= maxSteps;
    }

    /** Logs once, after the last step finished, that {@code held} samples wait for a next run. */
    void announceOnce(int held) {
        if (!announced && reached() && !trainer.busy()) {
            LOG.info(
                    "train.max-steps={} reached: {} samples held for the next run, the input"
                            + " waits until the job is stopped",
                    maxSteps,
                    held);
            announced = true;
        }
    }
}
