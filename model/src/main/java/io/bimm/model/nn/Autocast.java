package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Mixed-precision casts of the blocks, as PyTorch's autocast places them: matmul inputs in the
 * weight's type, LayerNorm, softmax and losses in float32. With float32 weights every call returns
 * its input unchanged.
 *
 * <p>DJL 0.36 reports a bfloat16 tensor's type as {@link DataType#UNKNOWN} (its JNI maps nine
 * dtypes); the only such tensors here are the bfloat16 ones this class and the trainer's weight
 * casts make. The casts are TorchScript ops ({@link TorchScriptOps}): DJL's own {@code toType}
 * cannot make bfloat16 and does not record autograd.
 */
public final class Autocast {

    private Autocast() {}

    /** Whether {@code x} is a bfloat16 tensor (see the class comment). */
    public static boolean isBf16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }

    /** {@code x} as bfloat16, differentiable (the identity when it is bfloat16 already). */
    public static NDArray toBf16(NDArray x) {
        return isBf16(x) ? x : TorchScriptOps.toBf16(x);
    }

    /** {@code x} as float32, differentiable (the identity when it is float32 already). */
    public static NDArray toFloat32(NDArray x) {
        return isBf16(x) ? TorchScriptOps.toFloat32(x) : x.toType(DataType.FLOAT32, false);
    }

    /** {@code x} in the type of {@code like} (bfloat16 or float32). */
    public static NDArray like(NDArray x, NDArray like) {
        return isBf16(like) ? toBf16(x) : toFloat32(x);
    }
}
