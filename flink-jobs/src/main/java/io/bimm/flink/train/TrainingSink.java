package io.bimm.flink.train;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrainingSampleTypeInfo;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Target;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.Devices;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Predictions;
import io.bimm.model.train.StepResult;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training sink: gathers {@link TrainingSample}s into batches and runs one BIMM training step
 * per batch (DJL, on the GPU when there is one), emitting the step number after each.
 *
 * <p>State is consistent with Flink's: on every Flink checkpoint the model and optimizer are
 * written as a model checkpoint and only its path, step and manifest checksum go into operator
 * state, together with the samples of the partial batch. A restore loads exactly that checkpoint,
 * so the model always matches the Kafka offsets Flink restored: no clip is trained twice or never.
 * Steps run on a dedicated trainer thread, so the next batch is assembled while the previous step
 * runs. Run it with parallelism 1: one trainer uses every device of its TaskManager.
 */
public final class TrainingSink extends ProcessFunction<TrainingSample, Long>
        implements CheckpointedFunction, CheckpointListener {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrainingSink.class);

    /** Accumulator with the number of steps trained, polled by {@code bimm train}. */
    public static final String STEPS_ACCUMULATOR = "bimm-steps";

    /** File in the checkpoint directory describing the newest Flink checkpoint's training state. */
    public static final String PROGRESS_FILE = "progress.json";

    private final String configJson;
    private final String trainOptionsJson;
    private final String device;
    private final String checkpointDir;
    private final int checkpointEvery;
    private final int checkpointKeep;
    private final long maxSteps;
    private final String initFrom;

    private transient BimmConfig config;
    private transient BimmTrainer trainer;
    private transient ExecutorService trainerThread;
    private transient Future<StepResult> inFlight;
    private transient List<TrainingSample> pending;
    private transient ListState<TrainingSample> pendingState;
    private transient ListState<String> pointerState;
    private transient ModelCheckpoints checkpoints;
    private transient Map<Long, Path> flinkCheckpointDirs;
    private transient Path lastCompletedDir;
    private transient Path lastSavedDir;
    private transient volatile StepResult last;
    private transient LongCounter stepsAccumulator;
    private transient Counter samplesTrained;
    private transient Counter skippedSteps;
    private transient Counter checkpointWriteErrors;
    private transient Histogram stepMillis;
    private transient Histogram dataWaitMillis;
    private transient volatile long lastDataWaitMillis;
    private transient volatile long lastCheckpointMillis;
    private transient long idleSince;
    private transient ValidationPictures pictures;

    /** A sink training {@code config} with {@code options}; see {@link TrainJobOptions}. */
    public TrainingSink(
            BimmConfig config,
            TrainOptions options,
            String device,
            String checkpointDir,
            int checkpointEvery,
            int checkpointKeep,
            long maxSteps,
            String initFrom) {
        this.configJson = config.toJson();
        this.trainOptionsJson = options.toJson();
        this.device = device;
        this.checkpointDir = checkpointDir;
        this.checkpointEvery = checkpointEvery;
        this.checkpointKeep = checkpointKeep;
        this.maxSteps = maxSteps;
        this.initFrom = initFrom;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        config = BimmConfig.fromJson(configJson);
        TrainOptions options = TrainOptions.fromJson(trainOptionsJson);
        checkpoints = new ModelCheckpoints(Paths.get(checkpointDir), checkpointKeep);
        Files.createDirectories(checkpoints.root());
        flinkCheckpointDirs = new TreeMap<>();
        trainerThread =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "bimm-trainer");
                            t.setDaemon(true);
                            return t;
                        });
        List<Device> devs = Devices.resolve(device);
        trainer =
                onTrainer(() -> new BimmTrainer(Bimm.newModel(config, devs.get(0)), options, devs));
        LOG.info(
                "Training {} ({} parameters) on {}, stage {}, batch {}",
                config.getPreset(),
                trainer.getModel().parameterCount(),
                devs,
                options.getStage(),
                options.getBatchSize());

        pendingState =
                ctx.getOperatorStateStore()
                        .getListState(
                                new ListStateDescriptor<>(
                                        "pending-samples", TrainingSampleTypeInfo.INSTANCE));
        pointerState =
                ctx.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("model-checkpoint", Types.STRING));
        pending = new ArrayList<>();
        if (ctx.isRestored()) {
            for (TrainingSample s : pendingState.get()) {
                pending.add(s);
            }
            for (String json : pointerState.get()) {
                restore(json);
            }
        } else if (initFrom != null && !initFrom.isBlank()) {
            Path dir = resolveCheckpoint(Paths.get(initFrom));
            onTrainer(
                    () -> {
                        ModelCheckpoints.initFrom(trainer, dir);
                        return null;
                    });
            LOG.info("Initialized from {}", dir);
        }
    }

    /**
     * Loads the model checkpoint a restored Flink checkpoint points to; a changed, truncated or
     * corrupted one is refused and the previous good one loaded ({@link CheckpointRestore}).
     */
    private void restore(String pointerJson) throws Exception {
        JsonObject p = JsonParser.parseString(pointerJson).getAsJsonObject();
        Path pointed = Paths.get(p.get("path").getAsString());
        String expected = p.get("manifest_sha256").getAsString();
        CheckpointRestore.Restored r =
                onTrainer(() -> CheckpointRestore.load(trainer, pointed, expected));
        Path dir = r.dir();
        lastSavedDir = dir;
        lastCompletedDir = dir;
        LOG.info(
                "Restored model checkpoint {} (step {}), {} pending samples",
                dir,
                trainer.getStep(),
                pending.size());
    }

    static Path resolveCheckpoint(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(Checkpoints.MANIFEST))) {
            return dir;
        }
        Path latest = dir.resolve(ModelCheckpoints.LATEST);
        if (Files.isRegularFile(latest.resolve(Checkpoints.MANIFEST))) {
            return latest.toRealPath();
        }
        Path newest = Checkpoints.latest(dir);
        if (newest == null) {
            throw new IOException("No model checkpoint at " + dir + ".");
        }
        return newest;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup g = getRuntimeContext().getMetricGroup().addGroup("bimm");
        stepsAccumulator = new LongCounter(trainer.getStep());
        getRuntimeContext().addAccumulator(STEPS_ACCUMULATOR, stepsAccumulator);
        samplesTrained = g.counter("samplesTrained");
        skippedSteps = g.counter("skippedSteps");
        checkpointWriteErrors = g.counter("checkpointWriteErrors");
        g.meter("samplesPerSecond", new MeterView(samplesTrained, 30));
        stepMillis = g.histogram("stepTimeMs", new DescriptiveStatisticsHistogram(500));
        dataWaitMillis = g.histogram("dataWaitTimeMs", new DescriptiveStatisticsHistogram(500));
        g.gauge("steps", (Gauge<Long>) () -> trainer.getStep());
        g.gauge("lastDataWaitMs", (Gauge<Long>) () -> lastDataWaitMillis);
        g.gauge("checkpointWriteMs", (Gauge<Long>) () -> lastCheckpointMillis);
        g.gauge("learningRate", (Gauge<Double>) () -> last == null ? 0.0 : last.lr());
        g.gauge("lossTotal", (Gauge<Float>) () -> last == null ? Float.NaN : last.total());
        g.gauge("gradNorm", (Gauge<Float>) () -> last == null ? Float.NaN : last.gradNorm());
        for (Target t : Target.values()) {
            String key = t.key();
            g.gauge(
                    "loss_" + key,
                    (Gauge<Float>)
                            () -> {
                                StepResult r = last;
                                Float v = r == null ? null : r.losses().get(key);
                                return v == null ? Float.NaN : v;
                            });
        }
        g.gauge("pendingSamples", (Gauge<Integer>) () -> pending.size());
        g.gauge("residentMemoryMb", (Gauge<Long>) TrainingSink::residentMemoryMb);
        g.gauge("deviceMemoryMb", (Gauge<Long>) () -> trainer.deviceMemoryMb());
        idleSince = System.nanoTime();
        // Before the restored batches train: a restored run's first checkpoint may come from them
        // alone, and its pictures show the validation sample the earlier run kept.
        openPictures();
        // Full batches restored from state are trained now, not when the next sample arrives
        // (which may never come).
        try {
            drain(NO_OUTPUT);
        } catch (Exception e) {
            throw new IllegalStateException("Training the restored samples failed: " + e, e);
        }
    }

    private static final Collector<Long> NO_OUTPUT =
            new Collector<>() {
                @Override
                public void collect(Long record) {}

                @Override
                public void close() {}
            };

    @Override
    public void processElement(TrainingSample sample, Context ctx, Collector<Long> out)
            throws Exception {
        pending.add(sample);
        offerValidation(sample);
        drain(out);
    }

    /**
     * Starts a step for every full batch waiting, the previous one overlapping the assembly of the
     * next. Past {@code train.max-steps} the samples stay in state: the next run trains them.
     */
    private void drain(Collector<Long> out) throws Exception {
        int batch = trainer.getOptions().getBatchSize();
        while (pending.size() >= batch && !reachedMaxSteps()) {
            List<TrainingSample> samples = new ArrayList<>(pending.subList(0, batch));
            // Built on this thread while the previous step still runs on the trainer thread.
            MaskedBatch next = SampleBatches.of(config, trainer.getOptions().getStage(), samples);
            awaitStep(out);
            pending.subList(0, batch).clear();
            long waited = (System.nanoTime() - idleSince) / 1_000_000;
            lastDataWaitMillis = waited;
            dataWaitMillis.update(waited);
            inFlight =
                    trainerThread.submit(
                            () -> {
                                long t0 = System.nanoTime();
                                StepResult r = trainer.step(next);
                                stepMillis.update((System.nanoTime() - t0) / 1_000_000);
                                return r;
                            });
            samplesTrained.inc(samples.size());
        }
    }

    private boolean reachedMaxSteps() {
        long steps = trainer.getStep() + (inFlight != null && !inFlight.isDone() ? 1 : 0);
        return maxSteps > 0 && steps >= maxSteps;
    }

    /** Waits for the running step, reports it, and writes periodic and final checkpoints. */
    private void awaitStep(Collector<Long> out) throws Exception {
        if (inFlight == null) {
            return;
        }
        StepResult r;
        try {
            r = inFlight.get();
        } catch (ExecutionException e) {
            throw new IOException("Training step failed: " + e.getCause(), e.getCause());
        } finally {
            inFlight = null;
        }
        idleSince = System.nanoTime();
        last = r;
        if (r.skipped()) {
            skippedSteps.inc();
            LOG.warn(
                    "Update after step {} skipped by the NaN/Inf guard: loss {}, gradient norm {},"
                            + " losses {}",
                    r.step(),
                    r.total(),
                    r.gradNorm(),
                    r.losses());
        } else {
            stepsAccumulator.add(1);
        }
        out.collect(r.step());
        boolean periodic = checkpointEvery > 0 && r.step() % checkpointEvery == 0;
        boolean finalStep = maxSteps > 0 && r.step() >= maxSteps;
        if (periodic || finalStep) {
            Path dir;
            try {
                dir = saveCheckpoint(r);
            } catch (IOException e) {
                // Disk full or unwritable: the last good checkpoint stays; training goes on.
                checkpointWriteErrors.inc();
                LOG.error(
                        "checkpoint write failed at step {}: {}; keeping the last good checkpoint"
                                + " {}",
                        r.step(),
                        e.toString(),
                        lastSavedDir);
                return;
            }
            LOG.info(
                    "checkpoint step={} loss={} dir={}{}",
                    r.step(),
                    r.total(),
                    dir,
                    finalStep ? " (final, train.max-steps reached)" : "");
            writePictures(dir);
        }
    }

    private void openPictures() {
        try {
            pictures =
                    new ValidationPictures(
                            Paths.get(checkpointDir), config, trainer.getOptions().getStage());
            if (pictures.sample() == null && !pending.isEmpty()) {
                pictures.offer(pending.get(0));
            }
        } catch (IOException e) {
            LOG.warn("Cannot read the validation sample for the pictures: {}", e.toString());
        }
    }

    private void offerValidation(TrainingSample sample) {
        if (pictures == null) {
            return;
        }
        try {
            pictures.offer(sample);
        } catch (IOException e) {
            LOG.warn("Cannot keep the validation sample for the pictures: {}", e.toString());
        }
    }

    /**
     * The reconstruction pictures of the validation sample; a failure here never stops training.
     */
    private void writePictures(Path dir) {
        if (pictures == null || pictures.sample() == null) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            MaskedBatch batch = pictures.batch();
            Map<Target, float[]> predictions =
                    onTrainer(
                            () ->
                                    Predictions.predict(
                                            trainer.getModel(),
                                            batch,
                                            trainer.getOptions().getStage()));
            List<Path> files = pictures.write(predictions, dir);
            LOG.info(
                    "pictures {} of clip {} in {} ms",
                    files,
                    pictures.sample().clipId,
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            LOG.warn("Reconstruction pictures for {} failed: {}", dir, e.toString());
        }
    }

    private Path saveCheckpoint(StepResult r) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Float> losses = new HashMap<>(r == null ? Map.of() : r.losses());
        if (r != null) {
            losses.put("total", r.total());
        }
        Path previous = lastSavedDir;
        Path dir = onTrainer(() -> checkpoints.save(trainer, losses, previous));
        lastCheckpointMillis = (System.nanoTime() - t0) / 1_000_000;
        lastSavedDir = dir;
        List<Path> keep = new ArrayList<>(flinkCheckpointDirs.values());
        if (lastCompletedDir != null) {
            keep.add(lastCompletedDir);
        }
        keep.add(dir);
        checkpoints.prune(keep);
        return dir;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        // The step in flight belongs to samples already taken from the buffer: finish it first.
        awaitStep(
                new Collector<>() {
                    @Override
                    public void collect(Long record) {}

                    @Override
                    public void close() {}
                });
        Path dir;
        try {
            dir = saveCheckpoint(last);
        } catch (IOException e) {
            // A failure in this synchronous snapshot fails the job over to the last completed
            // Flink checkpoint, whose model checkpoint is untouched: progress since then is
            // trained again, never half-saved.
            checkpointWriteErrors.inc();
            LOG.error(
                    "checkpoint write failed for Flink checkpoint {} at step {}: {}; the last good"
                            + " checkpoint {} stays the restore point",
                    ctx.getCheckpointId(),
                    trainer.getStep(),
                    e.toString(),
                    lastCompletedDir);
            throw e;
        }
        JsonObject p = new JsonObject();
        p.addProperty("path", dir.toAbsolutePath().toString());
        p.addProperty("step", trainer.getStep());
        p.addProperty("manifest_sha256", ModelCheckpoints.manifestSha256(dir));
        pointerState.update(List.of(p.toString()));
        pendingState.update(new ArrayList<>(pending));
        flinkCheckpointDirs.put(ctx.getCheckpointId(), dir);
        p.addProperty("samples_seen", trainer.getSamplesSeen());
        p.addProperty("pending_samples", pending.size());
        p.addProperty("flink_checkpoint_id", ctx.getCheckpointId());
        writeProgress(p);
    }

    /**
     * Writes {@code progress.json} beside the checkpoints: what the latest Flink checkpoint holds
     * (model step, samples trained, samples waiting in the partial batch). Samples trained plus
     * pending is every sample the job has taken from Kafka, each once.
     */
    private void writeProgress(JsonObject progress) throws IOException {
        Path tmp = checkpoints.root().resolve(".progress-" + System.nanoTime());
        Files.writeString(tmp, progress.toString());
        Files.move(
                tmp,
                checkpoints.root().resolve(PROGRESS_FILE),
                java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        Path dir = flinkCheckpointDirs.get(checkpointId);
        if (dir != null) {
            lastCompletedDir = dir;
        }
        flinkCheckpointDirs.keySet().removeIf(id -> id <= checkpointId);
    }

    @Override
    public void close() throws Exception {
        try {
            if (inFlight != null) {
                inFlight.cancel(false);
            }
            if (trainerThread != null && trainer != null) {
                onTrainer(
                        () -> {
                            // The data-parallel replica threads stop with the job, not 60 s later.
                            trainer.close();
                            trainer.getModel().close();
                            return null;
                        });
            }
            if (trainerThread != null) {
                trainerThread.shutdownNow();
            }
        } finally {
            super.close();
        }
    }

    /** Runs {@code task} on the trainer thread: DJL's model is used from that thread only. */
    private <T> T onTrainer(Callable<T> task) throws Exception {
        try {
            return trainerThread.submit(task).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    static long residentMemoryMb() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
