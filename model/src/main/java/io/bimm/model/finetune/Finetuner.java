package io.bimm.model.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.export.EncoderExporter;
import io.bimm.model.export.SafetensorsWriter;
import io.bimm.model.train.AdamW;
import io.bimm.model.train.LrSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Finetunes one branch encoder of a {@link Bimm} plus a {@link ClassifierHead} (paper Algorithm 1,
 * lines 15-16; Table 9): AdamW with layer-wise lr decay, label-smoothed cross-entropy, warmup then
 * cosine. As a linear probe, the encoder is frozen and steps take cached {@link EncoderFeatures}. B
 * batch, D width, C classes. Not thread safe.
 */
public final class Finetuner {

    private final Bimm model;
    private final Branch branch;
    private final FinetuneOptions options;
    private final ClassifierHead head;
    private final List<LayerDecay.Group> groups;
    private final AdamW adam;
    private final LrSchedule schedule;
    private long step;
    private float[] inputMean;
    private float[] inputStd;

    /**
     * A finetuner of the encoder of one of {@code model}'s branches, for {@code classes} classes;
     * the head is created in the model's manager (seed the engine first for a reproducible head).
     */
    public Finetuner(Bimm model, Branch branch, int classes, FinetuneOptions options) {
        this.model = model;
        this.branch = branch;
        this.options = options;
        head = new ClassifierHead(model.getConfig().getEmbedDim(), classes);
        head.initialize(
                model.getManager(),
                DataType.FLOAT32,
                new Shape(1, model.getConfig().getEmbedDim()));
        groups =
                LayerDecay.groups(
                        model.getEncoder(branch),
                        head,
                        options.getLayerDecay(),
                        options.isLinearProbe());
        adam =
                new AdamW(
                        options.getBeta1(),
                        options.getBeta2(),
                        1e-8f,
                        (float) options.getWeightDecay());
        schedule =
                LrSchedule.cosine(
                        options.getPeakLr(),
                        Math.min(options.getMinLr(), options.getPeakLr()),
                        options.getWarmupSteps(),
                        Math.max(options.getTotalSteps(), options.getWarmupSteps() + 1));
    }

    public ClassifierHead getHead() {
        return head;
    }

    public Bimm getModel() {
        return model;
    }

    /** The branch whose encoder is finetuned. */
    public Branch getBranch() {
        return branch;
    }

    /**
     * Records the fixed standardization a linear probe applied to its cached features (MAE's
     * BatchNorm without affine before the head), so {@link #save} writes it as {@code
     * probe_norm.mean} / {@code probe_norm.std}.
     */
    public void setInputStandardization(float[] mean, float[] std) {
        this.inputMean = mean.clone();
        this.inputStd = std.clone();
    }

    /** The parameters this run updates, with their layer ids and lr scales. */
    public List<LayerDecay.Group> getGroups() {
        return groups;
    }

    /** Optimizer steps taken. */
    public long getStep() {
        return step;
    }

    /** The learning rate of the next step (before the layer scale). */
    public double currentLr() {
        return schedule.lr(step);
    }

    /**
     * One full-finetuning step on B samples' token bytes ({@link Patchify} layout); returns the
     * loss before the update.
     */
    public float step(byte[] tokens, int[] labels) {
        if (options.isLinearProbe()) {
            throw new IllegalStateException("A linear probe steps on features: use stepFeatures.");
        }
        return train(tokens, null, labels);
    }

    /** One linear-probe step on cached features {@code (B, D)} flat; returns the loss. */
    public float stepFeatures(float[] features, int[] labels) {
        return train(null, features, labels);
    }

    private float train(byte[] tokens, float[] features, int[] labels) {
        NDManager owner = model.getManager();
        int b = labels.length;
        try (NDManager scope = owner.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray loss;
            try (GradientCollector gc = owner.getEngine().newGradientCollector()) {
                NDArray logits = forward(ps, scope, tokens, features, b, true);
                loss = smoothedCrossEntropy(logits, labels, options.getLabelSmoothing());
                gc.backward(loss);
            }
            float value = loss.getFloat();
            double lr = schedule.lr(step);
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(false); // in-place updates of leaf parameters
            try {
                if (Float.isFinite(value)) {
                    for (LayerDecay.Group g : groups) {
                        NDArray grad = g.parameter().getArray().getGradient();
                        grad.attach(scope);
                        adam.update(g.name(), g.parameter(), grad, lr * g.lrScale(), owner, scope);
                    }
                }
                for (LayerDecay.Group g : groups) {
                    JniUtils.zeroGrad((PtNDArray) g.parameter().getArray());
                }
            } finally {
                JniUtils.setGradMode(gradMode);
            }
            step++;
            return value;
        }
    }

    private NDArray forward(
            ParameterStore ps,
            NDManager scope,
            byte[] tokens,
            float[] features,
            int b,
            boolean training) {
        NDArray pooled;
        if (features != null) {
            pooled = scope.create(features, new Shape(b, features.length / b)); // (B, D)
        } else {
            NDArray px = EncoderFeatures.pixels(scope, tokens, b, branch);
            pooled = EncoderFeatures.pooled(model, ps, branch, px, training); // (B, D)
        }
        return head.forward(ps, new NDList(pooled), training).head(); // (B, C)
    }

    /** Logits {@code (B, C)} flat of B samples' token bytes, without gradients. */
    public float[] logits(byte[] tokens, int batch) {
        return infer(tokens, null, batch);
    }

    /** Logits {@code (B, C)} flat of cached features, without gradients. */
    public float[] logitsFromFeatures(float[] features, int batch) {
        return infer(null, features, batch);
    }

    private float[] infer(byte[] tokens, float[] features, int batch) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = model.getManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            return forward(ps, scope, tokens, features, batch, false).toFloatArray();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Cross-entropy against smoothed targets {@code (1 - eps) onehot + eps / C}, averaged over the
     * batch (timm's {@code LabelSmoothingCrossEntropy}).
     */
    public static NDArray smoothedCrossEntropy(NDArray logits, int[] labels, double eps) {
        int b = labels.length;
        int c = (int) logits.getShape().get(1);
        float[] q = new float[b * c];
        float off = (float) (eps / c);
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException(
                        "Label " + labels[i] + " outside [0, " + c + ")");
            }
            for (int j = 0; j < c; j++) {
                q[i * c + j] = off + (j == labels[i] ? (float) (1 - eps) : 0f);
            }
        }
        NDManager m = logits.getManager();
        NDArray target = m.create(q, new Shape(b, c));
        return logits.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
    }

    /**
     * Writes the finetuned classifier as one safetensors file: the encoder with the export keys of
     * SPEC 6 plus VideoMAE's {@code fc_norm.*} and {@code head.*}.
     */
    public void save(Path file) throws IOException {
        SafetensorsWriter w = EncoderExporter.encoderTensors(model, branch);
        String[] names = ClassifierHead.parameterNames();
        var params = head.parameters();
        for (int i = 0; i < names.length; i++) {
            w.add(names[i], params[i].getArray().toFloatArray(), params[i].getShape().getShape());
        }
        if (inputMean != null) {
            w.add("probe_norm.mean", inputMean, inputMean.length);
            w.add("probe_norm.std", inputStd, inputStd.length);
        }
        w.write(file);
    }
}
