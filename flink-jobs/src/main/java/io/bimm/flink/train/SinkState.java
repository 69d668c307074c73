package io.bimm.flink.train;

import com.google.gson.JsonObject;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrainingSampleTypeInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.typeinfo.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training sink's operator state: the samples of the partial batch ({@code pending-samples})
 * and the pointer to the model checkpoint that goes with them ({@code model-checkpoint}). Names and
 * kinds (operator list state, split distribution) are those every savepoint of the sink has.
 */
final class SinkState {

    private static final Logger LOG = LoggerFactory.getLogger(SinkState.class);

    private final ListState<TrainingSample> pending;
    private final ListState<String> pointer;

    private SinkState(ListState<TrainingSample> pending, ListState<String> pointer) {
        this.pending = pending;
        this.pointer = pointer;
    }

    static SinkState register(OperatorStateStore store) throws Exception {
        return new SinkState(
                store.getListState(
                        new ListStateDescriptor<>(
                                "pending-samples", TrainingSampleTypeInfo.INSTANCE)),
                store.getListState(new ListStateDescriptor<>("model-checkpoint", Types.STRING)));
    }

    /** The restored samples, oldest first. */
    List<TrainingSample> pendingSamples() throws Exception {
        List<TrainingSample> out = new ArrayList<>();
        pending.get().forEach(out::add);
        return out;
    }

    /** The restored pointers (JSON; one, or none before the first checkpoint). */
    List<String> pointers() throws Exception {
        List<String> out = new ArrayList<>();
        pointer.get().forEach(out::add);
        return out;
    }

    /**
     * Puts what a restored job kept back in place: the partial batch into {@code buffer}, the model
     * checkpoint the pointer names into {@code trainer}.
     */
    void restoreInto(AsyncTrainer trainer, SinkCheckpoints checkpoints, SampleBuffer buffer)
            throws Exception {
        pendingSamples().forEach(buffer::add);
        for (String json : pointers()) {
            Path dir = checkpoints.restore(trainer, json);
            LOG.info(
                    "Restored model checkpoint {} (step {}), {} pending samples",
                    dir,
                    trainer.trainer().getStep(),
                    buffer.size());
        }
    }

    void update(JsonObject modelCheckpoint, List<TrainingSample> waiting) throws Exception {
        pointer.update(List.of(modelCheckpoint.toString()));
        pending.update(waiting);
    }
}
