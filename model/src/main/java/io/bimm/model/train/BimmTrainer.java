package io.bimm.model.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.bimm.model.Bimm;
import io.bimm.model.nn.NdOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The training step the sink calls: forward, backward and AdamW update of a {@link Bimm} on one
 * {@link MaskedBatch}, with gradient clipping and a NaN/Inf guard. Not thread-safe.
 *
 * <p>Data parallel over several devices (DJL's scheme of {@code EasyTrain.trainBatch} and {@code
 * ParameterStore}): the model's own parameters, on the first device, are the master copy; each step
 * splits the batch, copies the master parameters to every other replica, runs forward and backward
 * of each slice on its replica (concurrently when the replicas are on distinct devices), sums the
 * gradients onto the master and applies one AdamW update there. Each replica's loss is weighted by
 * its share of the samples, {@code b_r / B}: every sample has the same number of masked tokens and
 * target values (fixed mask ratios), so the per-target means over masked tokens of the slices, so
 * weighted, add up exactly to the full-batch means, and so do their gradients.
 */
public final class BimmTrainer implements AutoCloseable {

    private final Bimm model;
    private final TrainOptions options;
    private final LrSchedule schedule;
    private final AdamW adam;
    private final List<Map.Entry<String, Parameter>> trainable = new ArrayList<>();
    private final List<Device> devices;
    private final Precision precision;
    private boolean concurrent;
    private ExecutorService replicaThreads;
    // Written by the stepping thread only, read from others: volatile suffices.
    private volatile long step;
    private volatile long samplesSeen;
    private volatile long skippedSteps;

    /**
     * Resolves {@code auto} (a GPU when DJL sees one, else the CPU), {@code cpu} or {@code gpu}
     * (refused when no GPU is visible).
     */
    public static ai.djl.Device resolveDevice(String name) {
        int gpus = ai.djl.engine.Engine.getInstance().getGpuCount();
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu":
                return ai.djl.Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalArgumentException("--device gpu, but DJL sees no GPU.");
                }
                return ai.djl.Device.gpu(0);
            case "auto":
                return gpus > 0 ? ai.djl.Device.gpu(0) : ai.djl.Device.cpu();
            default:
                throw new IllegalArgumentException(
                        "Unknown device '" + name + "', expected auto, cpu or gpu.");
        }
    }

    /** Creates a trainer of {@code model} with {@code options} on the model's device. */
    public BimmTrainer(Bimm model, TrainOptions options) {
        this(model, options, List.of(model.getManager().getDevice()));
    }

    /**
     * Creates a data-parallel trainer with one replica per entry of {@code devices} (see {@link
     * Devices#resolve}); the model, which holds the master parameters, must live on the first.
     */
    public BimmTrainer(Bimm model, TrainOptions options, List<Device> devices) {
        this(
                model,
                options,
                devices,
                Precision.defaultFor(devices.isEmpty() ? Device.cpu() : devices.get(0)));
    }

    /**
     * Creates a data-parallel trainer as {@link #BimmTrainer(Bimm, TrainOptions, List)} does, whose
     * steps run in {@code precision} (the master weights and moments stay float32).
     */
    public BimmTrainer(
            Bimm model, TrainOptions options, List<Device> devices, Precision precision) {
        if (devices.isEmpty() || !devices.get(0).equals(model.getManager().getDevice())) {
            throw new IllegalArgumentException(
                    "The model lives on "
                            + model.getManager().getDevice()
                            + " but the first replica device is "
                            + (devices.isEmpty() ? "missing" : devices.get(0))
                            + "; create the model on the first device.");
        }
        this.devices = List.copyOf(devices);
        this.precision = precision;
        // replicas on distinct devices run at once; replicas sharing one run in turn
        this.concurrent =
                this.devices.size() > 1 && Set.copyOf(this.devices).size() == devices.size();
        this.model = model;
        this.options = options;
        this.schedule = options.schedule();
        this.adam =
                new AdamW(
                        options.getBeta1(),
                        options.getBeta2(),
                        options.getEps(),
                        options.getWeightDecay());
        Set<Parameter> used = model.parametersOf(options.getStage());
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (used.contains(e.getValue())) {
                trainable.add(e);
            }
        }
    }

    public Bimm getModel() {
        return model;
    }

    public TrainOptions getOptions() {
        return options;
    }

    public AdamW getOptimizer() {
        return adam;
    }

    /** The arithmetic of the steps. */
    public Precision getPrecision() {
        return precision;
    }

    /** The replica devices, the master's first. */
    public List<Device> getDevices() {
        return devices;
    }

    /** Device memory in use in MiB (see {@link Devices#memoryUsedMb}). */
    public long deviceMemoryMb() {
        return Devices.memoryUsedMb(devices);
    }

    /** Runs the replicas of a step on their own threads even when they share a device (tests). */
    void setConcurrent(boolean concurrent) {
        this.concurrent = concurrent && devices.size() > 1;
    }

    /** Updates applied so far (skipped steps excluded); the schedule's position. */
    public long getStep() {
        return step;
    }

    public long getSamplesSeen() {
        return samplesSeen;
    }

    /** Steps the NaN/Inf guard skipped. */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** Restores the counters (checkpoint load). */
    public void restoreCounters(long step, long samplesSeen, long skippedSteps) {
        this.step = step;
        this.samplesSeen = samplesSeen;
        this.skippedSteps = skippedSteps;
    }

    /** One forward/backward/update on {@code batch}; every temporary is freed before returning. */
    public StepResult step(MaskedBatch batch) {
        NDManager owner = model.getManager();
        try (NDManager scope = owner.newSubManager()) {
            List<Replica> replicas = forwardBackward(batch, scope);
            double totalSum = 0;
            Map<String, Double> lossSums = new LinkedHashMap<>();
            for (Replica rep : replicas) {
                totalSum += rep.weight * rep.total;
                rep.losses.forEach((k, v) -> lossSums.merge(k, rep.weight * v, Double::sum));
            }
            Map<String, Float> losses = new LinkedHashMap<>();
            lossSums.forEach((k, v) -> losses.put(k, v.floatValue()));
            float total = (float) totalSum;
            NDList grads = allReduce(replicas, scope);
            NDList squares = new NDList(trainable.size());
            for (NDArray g : grads) {
                squares.add(g.square().sum());
            }
            float norm = (float) Math.sqrt(NDArrays.stack(squares).sum().getFloat());
            double lr = schedule.lr(step);
            boolean finite = Float.isFinite(total) && Float.isFinite(norm);
            if (finite) {
                float clip = options.getClipGradNorm();
                float scale = clip > 0 && norm > clip ? clip / (norm + 1e-6f) : 1f;
                // PyTorch's grad mode is per thread and on by default: a thread other than the
                // one that started the engine (a Flink task's trainer thread) must switch it off
                // for the in-place update of leaf parameters.
                boolean gradMode = JniUtils.isGradMode();
                JniUtils.setGradMode(false);
                try {
                    for (int i = 0; i < trainable.size(); i++) {
                        NDArray g = scale == 1f ? grads.get(i) : grads.get(i).mul(scale);
                        Map.Entry<String, Parameter> e = trainable.get(i);
                        adam.update(e.getKey(), e.getValue(), g, lr, owner, scope);
                    }
                } finally {
                    JniUtils.setGradMode(gradMode);
                }
                step = step + 1;
                samplesSeen = samplesSeen + batch.size();
            } else {
                skippedSteps = skippedSteps + 1;
            }
            zeroGradients();
            return new StepResult(step, lr, total, losses, norm, !finite);
        }
    }

    /** Splits {@code batch} over the replicas and runs forward and backward of every slice. */
    private List<Replica> forwardBackward(MaskedBatch batch, NDManager scope) {
        List<MaskedBatch> slices = batch.split(devices.size());
        List<Replica> replicas = new ArrayList<>(slices.size());
        for (int r = 0; r < slices.size(); r++) {
            double weight = (double) slices.get(r).size() / batch.size();
            NDManager at = scope.newSubManager(devices.get(r));
            replicas.add(
                    new Replica(new ReplicaStore(at, r == 0, precision), slices.get(r), weight));
        }
        runReplicas(replicas);
        return replicas;
    }

    /**
     * The summed gradients of the trainable parameters on {@code batch}, by name, without an update
     * (tests compare them across replica layouts).
     */
    Map<String, float[]> gradients(MaskedBatch batch) {
        try (NDManager scope = model.getManager().newSubManager()) {
            NDList grads = allReduce(forwardBackward(batch, scope), scope);
            Map<String, float[]> out = new LinkedHashMap<>();
            for (int i = 0; i < trainable.size(); i++) {
                out.put(trainable.get(i).getKey(), grads.get(i).toFloatArray());
            }
            zeroGradients();
            return out;
        }
    }

    /** One replica's part of a step: its parameters, samples, loss weight and results. */
    private static final class Replica {
        final ReplicaStore store;
        final MaskedBatch slice;
        final double weight;
        float total;
        Map<String, Float> losses;

        Replica(ReplicaStore store, MaskedBatch slice, double weight) {
            this.store = store;
            this.slice = slice;
            this.weight = weight;
        }
    }

    private void runReplicas(List<Replica> replicas) {
        if (!concurrent || replicas.size() == 1) {
            for (Replica r : replicas) {
                forwardBackward(r);
            }
            return;
        }
        List<Future<?>> others = new ArrayList<>();
        for (Replica r : replicas.subList(1, replicas.size())) {
            others.add(replicaThreads().submit(() -> forwardBackward(r)));
        }
        RuntimeException failure = null;
        try {
            forwardBackward(replicas.get(0));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure =
                            new IllegalStateException(
                                    "A replica step failed: " + e.getCause(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the replicas.", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Forward and backward of one replica's slice, on the calling thread. */
    private void forwardBackward(Replica r) {
        NDManager at = r.store.getManager();
        // PyTorch's grad mode is per thread: switch it on here, whichever thread this is
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            NDList out = model.forward(r.store, r.slice.toNDList(at, options.getStage()), true);
            NDArray loss = out.head();
            NDArray weighted = r.weight == 1.0 ? loss : NdOps.mulScalar(loss, (float) r.weight);
            JniUtils.backward(
                    (PtNDArray) weighted,
                    (PtNDArray) at.ones(weighted.getShape(), weighted.getDataType()),
                    false,
                    false);
            r.total = loss.getFloat();
            r.losses = new LinkedHashMap<>();
            for (NDArray l : out.subNDList(1)) {
                r.losses.put(l.getName(), l.getFloat());
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Sums every replica's gradient onto the master's device: one array per trainable. */
    private NDList allReduce(List<Replica> replicas, NDManager scope) {
        Device master = devices.get(0);
        NDList grads = new NDList(trainable.size());
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, Parameter> e : trainable) {
                NDArray g = replicas.get(0).store.gradient(e.getValue());
                g.attach(scope);
                for (Replica r : replicas.subList(1, replicas.size())) {
                    NDArray gr = r.store.gradient(e.getValue());
                    if (gr != null) {
                        NDArray onMaster = gr.toDevice(master, false);
                        onMaster.attach(scope);
                        g = g.add(onMaster);
                    }
                }
                grads.add(g);
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return grads;
    }

    private synchronized ExecutorService replicaThreads() {
        if (replicaThreads == null) {
            int n = devices.size() - 1;
            ThreadPoolExecutor pool =
                    new ThreadPoolExecutor(
                            n,
                            n,
                            60,
                            TimeUnit.SECONDS,
                            new LinkedBlockingQueue<>(),
                            task -> {
                                Thread t = new Thread(task, "bimm-replica");
                                t.setDaemon(true);
                                return t;
                            });
            // idle threads end on their own, so a trainer that is never closed leaks none
            pool.allowCoreThreadTimeOut(true);
            replicaThreads = pool;
        }
        return replicaThreads;
    }

    /** Stops the replica threads; the model stays open (its owner closes it). */
    @Override
    public synchronized void close() {
        if (replicaThreads != null) {
            replicaThreads.shutdownNow();
            replicaThreads = null;
        }
    }

    /** Sets every trainable parameter's gradient to zero (PyTorch accumulates them). */
    public void zeroGradients() {
        for (Map.Entry<String, Parameter> e : trainable) {
            JniUtils.zeroGrad((PtNDArray) e.getValue().getArray());
        }
    }
}
