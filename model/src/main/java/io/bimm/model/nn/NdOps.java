package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * Small tensor helpers shared by the blocks.
 *
 * <p>With the PyTorch engine an op's result belongs to the manager of its first operand. An op that
 * starts from a parameter (transpose of a kernel, gather from a table) would therefore attach its
 * result to the model's manager and leak one native tensor per step; {@link #scoped} moves it to
 * the step's manager instead.
 */
public final class NdOps {

    /** LayerNorm epsilon of SPEC 4. */
    public static final float LN_EPS = 1e-6f;

    private NdOps() {}

    /** Moves {@code array} to {@code manager} (the step's scope) and returns it. */
    public static NDArray scoped(NDArray array, NDManager manager) {
        array.attach(manager);
        return array;
    }

    /**
     * {@code x * v} for a scalar that autograd may save for backward. DJL's {@code mul(Number)}
     * closes its temporary scalar right after the op, while PyTorch still holds the scalar's
     * (Java-owned) memory in the graph: once the JVM frees it, backward reads garbage. The scalar
     * made here lives in {@code x}'s manager, i.e. until the step's scope closes.
     */
    public static NDArray mulScalar(NDArray x, float v) {
        return x.mul(x.getManager().create(v));
    }

    /**
     * LayerNorm over the last axis with the given affine parameters, always in float32 (a bfloat16
     * input is cast up first, as autocast does).
     */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        NDArray x32 = Autocast.toFloat32(x);
        return x32.getNDArrayInternal().layerNorm(x32, new Shape(d), gamma, beta, LN_EPS).head();
    }

    /**
     * {@code x W^T + b} in the weight's type: the input is cast to it (a differentiable cast), so
     * with bfloat16 weights (mixed precision) the matmul runs in bfloat16, and with float32 weights
     * nothing changes. {@code bias} may be null.
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray in = Autocast.like(x, weight);
        return bias == null
                ? Linear.linear(in, weight).head()
                : Linear.linear(in, weight, bias).head();
    }

    /** {@link #linear} as a one-array list, the shape a block's forward returns. */
    public static NDList linearList(NDArray x, NDArray weight, NDArray bias) {
        return new NDList(linear(x, weight, bias));
    }

    /**
     * Rows {@code table[idx]} for a flat int64 index, reshaped to {@code (B, K, D)}, in the scope
     * and on the device of {@code idx}.
     */
    public static NDArray gatherRows(NDArray table, NDArray idx, long batch) {
        if (!table.getDevice().equals(idx.getDevice())) {
            // a fixed table lives with the model; a replica on another device needs its own copy
            table = scoped(table.toDevice(idx.getDevice(), true), idx.getManager());
        }
        NDArray rows = scoped(table.get(idx), idx.getManager()); // (B*K, D)
        return rows.reshape(batch, -1, table.getShape().get(1));
    }
}
