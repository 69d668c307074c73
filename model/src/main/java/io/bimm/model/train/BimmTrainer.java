package io.bimm.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training step the sink calls: forward, backward and AdamW update of a {@link Bimm} on one
 * {@link MaskedBatch}, with gradient clipping and a NaN/Inf guard. Not thread-safe.
 */
public final class BimmTrainer {

    private final Bimm model;
    private final TrainOptions options;
    private final LrSchedule schedule;
    private final AdamW adam;
    private final List<Map.Entry<String, Parameter>> trainable = new ArrayList<>();
    private long step;
    private long samplesSeen;
    private long skippedSteps;

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

    /** Creates a trainer of {@code model} with {@code options}. */
    public BimmTrainer(Bimm model, TrainOptions options) {
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
            NDList inputs = batch.toNDList(scope, options.getStage());
            ParameterStore ps = new ParameterStore(scope, false);
            NDList out;
            try (GradientCollector gc = owner.getEngine().newGradientCollector()) {
                out = model.forward(ps, inputs, true);
                gc.backward(out.head());
            }
            Map<String, Float> losses = new LinkedHashMap<>();
            for (NDArray loss : out.subNDList(1)) {
                losses.put(loss.getName(), loss.getFloat());
            }
            float total = out.head().getFloat();
            NDList grads = new NDList(trainable.size());
            NDList squares = new NDList(trainable.size());
            for (Map.Entry<String, Parameter> e : trainable) {
                NDArray g = e.getValue().getArray().getGradient();
                g.attach(scope);
                grads.add(g);
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
                step++;
                samplesSeen += batch.size();
            } else {
                skippedSteps++;
            }
            zeroGradients();
            return new StepResult(step, lr, total, losses, norm, !finite);
        }
    }

    /** Sets every trainable parameter's gradient to zero (PyTorch accumulates them). */
    public void zeroGradients() {
        for (Map.Entry<String, Parameter> e : trainable) {
            JniUtils.zeroGrad((PtNDArray) e.getValue().getArray());
        }
    }
}
