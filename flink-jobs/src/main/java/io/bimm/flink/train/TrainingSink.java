package io.bimm.flink.train;

import io.bimm.flink.sample.TrainingSample;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

/**
 * The training sink: gathers {@link TrainingSample}s into batches and runs one BIMM training step
 * per batch (DJL, on the GPU when there is one), emitting the step number after each. Run it with
 * parallelism 1: one trainer uses every device of its TaskManager.
 *
 * <p>State is consistent with Flink's: on every Flink checkpoint the model and optimizer are
 * written as a model checkpoint and only its path, step and manifest checksum go into operator
 * state, together with the samples of the partial batch. A restore loads exactly that checkpoint,
 * so the model always matches the Kafka offsets Flink restored: no clip is trained twice or never.
 *
 * <p>This class is the operator's factory, which hands it the task's mailbox. The parts: {@link
 * TrainingSinkOperator} (the operator: input, steps, snapshots), {@link AsyncTrainer} (the trainer
 * thread and the step in flight), {@link SampleBuffer} (the waiting samples and the input's bound),
 * {@link SinkCheckpoints} (pointer, {@value #PROGRESS_FILE}, retention), {@link SinkMetrics} and
 * {@link ValidationPictures}.
 */
public final class TrainingSink extends AbstractStreamOperatorFactory<Long>
        implements OneInputStreamOperatorFactory<TrainingSample, Long> {

    private static final long serialVersionUID = 1L;

    /** Accumulator with the number of steps trained, polled by {@code bimm train}. */
    public static final String STEPS_ACCUMULATOR = "bimm-steps";

    /** File in the checkpoint directory describing the newest Flink checkpoint's training state. */
    public static final String PROGRESS_FILE = "progress.json";

    private final Configuration options;

    /**
     * A sink configured by {@link TrainJobOptions} ({@code train.*}, {@code model} keys and {@code
     * prep.parallelism}, which sizes the input's bound past {@code train.max-steps}).
     */
    public TrainingSink(Configuration options) {
        this.options = new Configuration(options);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<Long>> T createStreamOperator(
            StreamOperatorParameters<Long> parameters) {
        return (T) new TrainingSinkOperator(parameters, options);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return TrainingSinkOperator.class;
    }
}
