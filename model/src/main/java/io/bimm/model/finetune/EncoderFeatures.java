package io.bimm.model.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import java.nio.ByteBuffer;

/**
 * The encoder without masking: every token visible, the output of the last stage's LayerNorm
 * ({@code h3}, the exported {@code norm}), averaged over tokens. B batch, N tokens, D width.
 */
public final class EncoderFeatures {

    private EncoderFeatures() {}

    /** uint8 pixels {@code (B, N, [2,] 16, 16, 3)} in {@code scope} from flat token bytes. */
    public static NDArray pixels(NDManager scope, byte[] tokens, int batch, Branch branch) {
        int per = branch.tokenValues();
        if (tokens.length % (batch * per) != 0) {
            throw new IllegalArgumentException(
                    tokens.length + " pixel bytes do not make " + batch + " samples of tokens.");
        }
        long n = tokens.length / ((long) batch * per);
        Shape shape =
                branch == Branch.DORSAL
                        ? new Shape(batch, n, 2, 16, 16, 3)
                        : new Shape(batch, n, 16, 16, 3);
        ByteBuffer buf = ByteBuffer.allocateDirect(tokens.length);
        buf.put(tokens).flip();
        return scope.create(buf, shape, DataType.UINT8);
    }

    /** Flat int64 index {@code (B*N)} with every token of every sample: {@code 0..N-1} B times. */
    public static NDArray allVisible(NDManager scope, int batch, int tokens) {
        long[] idx = new long[batch * tokens];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i % tokens;
        }
        return scope.create(idx);
    }

    /** Final-LayerNorm tokens {@code (B, N, D)} of all-visible {@code pixels}. */
    public static NDArray tokens(
            Bimm model, ParameterStore ps, Branch branch, NDArray pixels, boolean training) {
        int b = (int) pixels.getShape().get(0);
        int n = (int) pixels.getShape().get(1);
        NDArray vis = allVisible(pixels.getManager(), b, n);
        return model.forwardEncoder(ps, branch, pixels, vis, training).get(2);
    }

    /** Mean over tokens of the final-LayerNorm output: {@code (B, D)}. */
    public static NDArray pooled(
            Bimm model, ParameterStore ps, Branch branch, NDArray pixels, boolean training) {
        return tokens(model, ps, branch, pixels, training).mean(new int[] {1});
    }

    /**
     * Feature vectors {@code (B, D)} flat, computed without recording gradients; {@code tokens}
     * holds B samples' token bytes as {@link Patchify} lays them out.
     */
    public static float[] extract(Bimm model, Branch branch, byte[] tokens, int batch) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = model.getManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray px = pixels(scope, tokens, batch, branch);
            return pooled(model, ps, branch, px, false).toFloatArray();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
