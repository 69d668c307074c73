package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Pre-norm ViT block (SPEC 4): {@code x += attn(LN1 x)}, {@code x += mlp(LN2 x)}; {@code (B, N, D)}
 * in and out.
 */
public final class TransformerBlock extends AbstractBlock {

    private final LayerNormBlock norm1;
    private final AttentionBlock attn;
    private final LayerNormBlock norm2;
    private final MlpBlock mlp;

    private TransformerBlock(Builder b) {
        norm1 = addChildBlock("norm1", new LayerNormBlock(b.dim));
        attn = addChildBlock("attn", new AttentionBlock(b.dim, b.heads));
        norm2 = addChildBlock("norm2", new LayerNormBlock(b.dim));
        mlp = addChildBlock("mlp", new MlpBlock(b.dim, b.dim * b.mlpRatio));
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    public LayerNormBlock getNorm1() {
        return norm1;
    }

    public AttentionBlock getAttention() {
        return attn;
    }

    public LayerNormBlock getNorm2() {
        return norm2;
    }

    public MlpBlock getMlp() {
        return mlp;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head(); // (B, N, D)
        NDArray a = attn.forward(ps, norm1.forward(ps, inputs, training), training).head();
        x = x.add(a);
        NDArray m = mlp.forward(ps, norm2.forward(ps, new NDList(x), training), training).head();
        return new NDList(x.add(m));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** Builder of {@link TransformerBlock}. */
    public static final class Builder {
        private int dim;
        private int heads;
        private int mlpRatio = 4;

        public Builder setDim(int dim) {
            this.dim = dim;
            return this;
        }

        public Builder setHeads(int heads) {
            this.heads = heads;
            return this;
        }

        public Builder optMlpRatio(int mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /** Builds the block; width and heads are required. */
        public TransformerBlock build() {
            if (dim <= 0 || heads <= 0) {
                throw new IllegalArgumentException(
                        "TransformerBlock needs a positive dim and heads, got "
                                + dim
                                + ", "
                                + heads);
            }
            return new TransformerBlock(this);
        }
    }
}
