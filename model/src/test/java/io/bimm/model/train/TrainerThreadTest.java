package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The Flink training sink steps on its own thread; PyTorch keeps grad mode per thread (on by
 * default in a new one), so a step there must still update parameters in place, and the task and
 * metrics threads must see the counters it writes.
 */
class TrainerThreadTest {

    /**
     * A reader spinning on {@link BimmTrainer#getStep} (as the sink's task thread waits for the
     * step limit) sees a step written by another thread. With a plain {@code long} the JIT may
     * hoist the read out of the compiled loop and the reader never ends: the loop runs long enough
     * before the step to be compiled.
     */
    @Test
    void aSpinningReaderSeesTheStepOfTheTrainerThread() throws Exception {
        BimmConfig config = TestConfigs.micro().build();
        MaskedBatch batch = new SyntheticBatches(config, 9).next(2);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.JOINT).build());
            AtomicLong spins = new AtomicLong();
            Thread reader =
                    new Thread(
                            () -> {
                                long n = 0;
                                while (trainer.getStep() < 1) {
                                    n++;
                                }
                                spins.set(n);
                            },
                            "step-reader");
            reader.setDaemon(true); // never ends when the counter's write stays invisible
            reader.start();
            Thread.sleep(1000); // the loop gets compiled meanwhile
            ExecutorService stepping = Executors.newSingleThreadExecutor();
            try {
                assertThat(stepping.submit(() -> trainer.step(batch)).get().step()).isEqualTo(1);
            } finally {
                stepping.shutdownNow();
            }
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(reader.isAlive()).as("the reader still sees step 0").isFalse();
            assertThat(spins.get()).isPositive();
        }
    }

    @Test
    void stepsOnAThreadThatDidNotStartTheEngine() throws Exception {
        Engine.getInstance().setRandomSeed(5);
        BimmConfig config = TestConfigs.micro().build();
        MaskedBatch batch = new SyntheticBatches(config, 9).next(2);
        ExecutorService fresh = Executors.newSingleThreadExecutor();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.JOINT).build());
            float[] before =
                    model.namedParameters().values().iterator().next().getArray().toFloatArray();
            Future<StepResult> r1 = fresh.submit(() -> trainer.step(batch));
            Future<StepResult> r2 = fresh.submit(() -> trainer.step(batch));
            assertThat(r1.get().skipped()).isFalse();
            assertThat(r2.get().step()).isEqualTo(2);
            float[] after =
                    model.namedParameters().values().iterator().next().getArray().toFloatArray();
            assertThat(after).isNotEqualTo(before);
        } finally {
            fresh.shutdownNow();
        }
    }
}
