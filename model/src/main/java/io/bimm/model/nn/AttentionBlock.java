package io.bimm.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention with a {@code qkv} weight {@code [3D, D]}, a {@code q_bias} and a
 * {@code v_bias} and no key bias (VideoMAE style, SPEC 4). B batch, N tokens, D width, H heads.
 */
public final class AttentionBlock extends AbstractBlock {

    private final int dim;
    private final int heads;
    private final Parameter qkvWeight;
    private final Parameter qBias;
    private final Parameter vBias;
    private final Parameter projWeight;
    private final Parameter projBias;

    /** Creates attention of width {@code dim} with {@code heads} heads. */
    public AttentionBlock(int dim, int heads) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("dim " + dim + " must divide by heads " + heads);
        }
        this.dim = dim;
        this.heads = heads;
        qkvWeight = addParameter(MlpBlock.weight("qkv_weight", 3L * dim, dim));
        qBias = addParameter(MlpBlock.bias("q_bias", dim));
        vBias = addParameter(MlpBlock.bias("v_bias", dim));
        projWeight = addParameter(MlpBlock.weight("proj_weight", dim, dim));
        projBias = addParameter(MlpBlock.bias("proj_bias", dim));
    }

    /** The (qkv weight, q bias, v bias, proj weight, proj bias) parameters, for export. */
    public Parameter[] parameters() {
        return new Parameter[] {qkvWeight, qBias, vBias, projWeight, projBias};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head(); // (B, N, D)
        Device dev = x.getDevice();
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray q = ps.getValue(qBias, dev, training);
        NDArray kZero =
                Autocast.like(
                        x.getManager().zeros(new Shape(dim), DataType.FLOAT32, dev), q); // q's type
        NDArray bias =
                NdOps.scoped(
                        NDArrays.concat(new NDList(q, kZero, ps.getValue(vBias, dev, training))),
                        x.getManager()); // (3D)
        NDArray qkv = NdOps.linear(x, ps.getValue(qkvWeight, dev, training), bias);
        qkv = qkv.reshape(b, n, 3, heads, dim / heads).transpose(2, 0, 3, 1, 4); // (3,B,H,N,hd)
        NDArray out =
                attend(qkv.get(0), qkv.get(1), qkv.get(2)) // (B, H, N, hd)
                        .transpose(0, 2, 1, 3)
                        .reshape(b, n, dim); // (B, N, D)
        return NdOps.linearList(
                out, ps.getValue(projWeight, dev, training), ps.getValue(projBias, dev, training));
    }

    /**
     * {@code softmax(q k^T / sqrt(hd)) v}. In bfloat16, the fused kernel ({@link
     * TorchScriptOps#attention}: no (B, H, N, N) scores kept for the backward, docs/gpu.md); in
     * float32, the explicit product, whose numbers do not depend on how the batch is split (the
     * fused CPU kernel's do, beyond what data parallelism's tests allow).
     */
    private NDArray attend(NDArray q, NDArray k, NDArray v) {
        if (Autocast.isBf16(q)) {
            return TorchScriptOps.attention(q, k, v);
        }
        NDArray qh = NdOps.mulScalar(q, (float) (1.0 / Math.sqrt((double) dim / heads)));
        return qh.matMul(k.transpose(0, 1, 3, 2)).softmax(-1).matMul(v); // (B, H, N, hd)
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
