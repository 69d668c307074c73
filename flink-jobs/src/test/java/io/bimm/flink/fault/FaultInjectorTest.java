package io.bimm.flink.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.sample.TrainingSample;
import java.util.List;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Faults fire at their sample and leave every other sample unchanged. (That they fire in the first
 * attempt only is checked on a real cluster: LocalClusterITCase and deploy/fault-test.sh.)
 */
class FaultInjectorTest {

    private static TrainingSample sample(String id) {
        return new TrainingSample(
                id,
                0,
                new int[] {0},
                new int[] {1},
                new byte[3],
                new float[] {0.5f, 0.25f},
                new byte[1],
                new byte[1],
                new int[] {0},
                new int[] {1},
                new byte[3],
                new float[] {0.5f, 0.25f},
                new byte[1],
                new byte[1]);
    }

    private static OneInputStreamOperatorTestHarness<TrainingSample, TrainingSample> harness(
            FaultInjector f) throws Exception {
        return restored(f, null);
    }

    /** A harness restored from {@code state} (null: a first start). */
    private static OneInputStreamOperatorTestHarness<TrainingSample, TrainingSample> restored(
            FaultInjector f, org.apache.flink.runtime.checkpoint.OperatorSubtaskState state)
            throws Exception {
        OneInputStreamOperatorTestHarness<TrainingSample, TrainingSample> h =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(f), 1, 1, 0);
        h.setup();
        if (state != null) {
            h.initializeState(state);
        }
        h.open();
        return h;
    }

    @Test
    void nanGoesIntoTheNthSampleOnlyAndTheThrowHappensAtItsSample() throws Exception {
        try (var h = harness(new FaultInjector(3, 2))) {
            h.processElement(new StreamRecord<>(sample("a")));
            h.processElement(new StreamRecord<>(sample("b")));
            assertThatThrownBy(() -> h.processElement(new StreamRecord<>(sample("c"))))
                    .isInstanceOf(FaultInjector.InjectedFault.class)
                    .hasMessageContaining("sample 3");
            List<TrainingSample> out = h.extractOutputValues();
            assertThat(out).extracting(s -> s.clipId).containsExactly("a", "b");
            assertThat(out.get(0).ventralGabor[0]).isEqualTo(0.5f);
            assertThat(out.get(1).ventralGabor[0]).isNaN();
            assertThat(out.get(1).dorsalGabor[0]).isNaN();
            assertThat(out.get(1).ventralGabor[1]).isEqualTo(0.25f);
        }
    }

    /**
     * A restart that rolls back to a checkpoint taken before the NaN sample replays it NaN again;
     * one taken after it does not repeat it.
     */
    @Test
    void theNanSampleFollowsTheRestoredCount() throws Exception {
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState beforeNan;
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState afterNan;
        try (var h = harness(new FaultInjector(100, 2))) {
            h.processElement(new StreamRecord<>(sample("a")));
            beforeNan = h.snapshot(1, 1);
            h.processElement(new StreamRecord<>(sample("b")));
            afterNan = h.snapshot(2, 2);
            assertThat(h.extractOutputValues().get(1).ventralGabor[0]).isNaN();
        }
        try (var h = restored(new FaultInjector(100, 2), beforeNan)) {
            h.processElement(new StreamRecord<>(sample("b-again")));
            h.processElement(new StreamRecord<>(sample("c")));
            List<TrainingSample> out = h.extractOutputValues();
            assertThat(out.get(0).ventralGabor[0]).isNaN();
            assertThat(out.get(1).ventralGabor[0]).isEqualTo(0.5f);
        }
        try (var h = restored(new FaultInjector(100, 2), afterNan)) {
            h.processElement(new StreamRecord<>(sample("c")));
            assertThat(h.extractOutputValues().get(0).ventralGabor[0]).isEqualTo(0.5f);
        }
    }
}
