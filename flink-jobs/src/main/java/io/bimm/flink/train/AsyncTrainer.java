package io.bimm.flink.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.DeviceCheck;
import io.bimm.model.train.DeviceSpec;
import io.bimm.model.train.Devices;
import io.bimm.model.train.Libtorch;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Precision;
import io.bimm.model.train.StepResult;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's trainer: a {@link BimmTrainer} used from its own thread only (DJL's model is), with at
 * most one step in flight, so that the task thread assembles the next batch while a step runs.
 * Methods other than the counters of {@link #trainer()} are called from the task thread.
 */
final class AsyncTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncTrainer.class);

    /** A finished step and how long it took. */
    record Step(StepResult result, long millis) {}

    private final ExecutorService thread;
    private BimmTrainer trainer;
    private Future<Step> inFlight;

    private AsyncTrainer() {
        this.thread =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "bimm-trainer");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /**
     * A trainer of a new {@code config} model on {@code device} ({@link Devices#resolve}) in {@code
     * precision} (by default the device's, {@link Precision#defaultFor}); a GPU setting the loaded
     * libtorch cannot serve is refused ({@link DeviceCheck}). The initial weights are a function of
     * {@code seed} (the run seed, {@code prep.seed}), so a run from scratch is reproducible.
     */
    static AsyncTrainer create(
            BimmConfig config,
            TrainOptions options,
            String device,
            Optional<Precision> precision,
            long seed)
            throws Exception {
        AsyncTrainer t = new AsyncTrainer();
        try {
            Libtorch lib = Libtorch.detect();
            LOG.info("Training with {}", lib.describe());
            DeviceCheck.check(DeviceSpec.parse(device), lib, Libtorch.hasNvidiaSmi())
                    .ifPresent(LOG::warn);
            List<Device> devs = Devices.resolve(device);
            Precision p = precision.orElse(Precision.defaultFor(devs.get(0)));
            t.trainer =
                    t.call(
                            () -> {
                                Engine.getInstance().setRandomSeed((int) seed);
                                return new BimmTrainer(
                                        Bimm.newModel(config, devs.get(0)), options, devs, p);
                            });
        } catch (Exception e) {
            t.thread.shutdownNow();
            throw e;
        }
        LOG.info(
                "Training {} ({} parameters) on {} in {}, stage {}, batch {}",
                config.getPreset(),
                t.trainer.getModel().parameterCount(),
                t.trainer.getDevices(),
                t.trainer.getPrecision().label(),
                options.getStage(),
                options.getBatchSize());
        return t;
    }

    /** The trainer; only its counters and options may be read off the trainer thread. */
    BimmTrainer trainer() {
        return trainer;
    }

    /** Whether a step is in flight (not yet taken by {@link #take}). */
    boolean busy() {
        return inFlight != null;
    }

    /**
     * Starts a step on {@code batch}; {@code onDone} gets its future on the trainer thread as soon
     * as it ends, failed or not.
     */
    void start(MaskedBatch batch, Consumer<Future<Step>> onDone) {
        if (inFlight != null) {
            throw new IllegalStateException("A training step is already in flight.");
        }
        CompletableFuture<Step> step =
                CompletableFuture.supplyAsync(
                        () -> {
                            long t0 = System.nanoTime();
                            StepResult r = trainer.step(batch);
                            return new Step(r, (System.nanoTime() - t0) / 1_000_000);
                        },
                        thread);
        inFlight = step;
        step.whenComplete((r, e) -> onDone.accept(step));
    }

    /**
     * The result of {@code step} if it is the step in flight (waiting for it), else null: it was
     * taken already.
     *
     * @throws IOException when the step failed
     */
    Step take(Future<Step> step) throws IOException, InterruptedException {
        if (step == null || step != inFlight) {
            return null;
        }
        try {
            return step.get();
        } catch (ExecutionException e) {
            throw new IOException("Training step failed: " + e.getCause(), e.getCause());
        } finally {
            inFlight = null;
        }
    }

    /** Waits for the step in flight and returns it; null when there is none. */
    Step awaitInFlight() throws IOException, InterruptedException {
        return take(inFlight);
    }

    /** Runs {@code task} on the trainer thread, after the step in flight, and waits for it. */
    <T> T call(Callable<T> task) throws Exception {
        try {
            return thread.submit(task).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** Waits for the step in flight, closes the trainer and the model, and ends the thread. */
    @Override
    public void close() throws Exception {
        inFlight = null;
        try {
            if (trainer != null) {
                call(
                        () -> {
                            // The data-parallel replica threads stop with the job, not 60 s later.
                            trainer.close();
                            trainer.getModel().close();
                            return null;
                        });
            }
        } finally {
            thread.shutdownNow();
        }
    }
}
