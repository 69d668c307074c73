package io.bimm.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model's predictions for the masked tokens of a batch, without training: what the
 * reconstruction pictures show (SPEC 4; the paper's Figures 5-6).
 */
public final class Predictions {

    private Predictions() {}

    /**
     * Runs both branches' encoders and decoders of {@code stage} in inference mode.
     *
     * @return per switched-on target, the predictions {@code (B, M, C)} flattened row-major; for
     *     contour, RGB and motion they are in the per-token normalized space the loss uses
     */
    public static Map<Target, float[]> predict(Bimm model, MaskedBatch batch, Stage stage) {
        return inference(
                model,
                batch,
                stage,
                (inputs, ps) -> {
                    Map<Target, float[]> out = new EnumMap<>(Target.class);
                    for (Branch b : Branch.values()) {
                        if (!inputs.contains(b.key("pixels"))) {
                            continue;
                        }
                        NDArray vis = inputs.get(b.key("visible_idx"));
                        NDArray masked = inputs.get(b.key("masked_idx"));
                        NDList h =
                                model.forwardEncoder(
                                        ps, b, inputs.get(b.key("pixels")), vis, false);
                        for (int level = 0; level < 3; level++) {
                            Target t = b.target(level);
                            if (model.getConfig().isTargetOn(t)) {
                                out.put(
                                        t,
                                        model.forwardDecoder(
                                                        ps, t, h.get(level), vis, masked, false)
                                                .toFloatArray());
                            }
                        }
                    }
                    return out;
                });
    }

    /**
     * The training losses of {@code batch} in inference mode, without a step: what the model
     * reaches on data it is not trained on, or on a fixed set of samples for comparison.
     *
     * @return {@code total} and each switched-on target's loss, keyed as {@link StepResult} does
     */
    public static Map<String, Float> losses(Bimm model, MaskedBatch batch, Stage stage) {
        return inference(
                model,
                batch,
                stage,
                (inputs, ps) -> {
                    Map<String, Float> out = new LinkedHashMap<>();
                    for (NDArray l : model.forward(ps, inputs, false)) {
                        out.put(l.getName(), l.getFloat());
                    }
                    return out;
                });
    }

    /** What an inference pass computes from the batch's inputs and a parameter store. */
    private interface Pass<T> {
        T run(NDList inputs, ParameterStore ps);
    }

    /**
     * Runs {@code pass} on the batch's inputs with grad mode off (it is per thread in PyTorch; no
     * graph is needed here) and every array it makes freed at the end.
     */
    private static <T> T inference(Bimm model, MaskedBatch batch, Stage stage, Pass<T> pass) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = model.getManager().newSubManager()) {
            return pass.run(batch.toNDList(scope, stage), new ParameterStore(scope, false));
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
