package io.bimm.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * A light stage decoder (SPEC 4): {@code Linear(D -> Dd, no bias)} on the visible tokens plus the
 * {@code Dd} sinusoid, a learned mask token plus the sinusoid at the masked positions, concat
 * (visible, masked), {@code k} blocks, LayerNorm, {@code Linear(Dd -> C)} on the masked part.
 *
 * <p>Inputs: stage output {@code (B, K, D)}, flat int64 visible index {@code (B*K)} and masked
 * index {@code (B*M)}. Output: predictions {@code (B, M, C)}.
 */
public final class StageDecoder extends AbstractBlock {

    private final int decoderDim;
    private final int tokens;
    private final int targetDim;
    private final Parameter embedWeight;
    private final Parameter maskToken;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final LayerNormBlock norm;
    private final Parameter predWeight;
    private final Parameter predBias;
    private NDArray posTable; // (N, Dd) constant

    private StageDecoder(Builder b) {
        decoderDim = b.decoderDim;
        tokens = b.tokens;
        targetDim = b.targetDim;
        embedWeight = addParameter(MlpBlock.weight("embed_weight", decoderDim, b.dim));
        maskToken =
                addParameter(
                        Parameter.builder()
                                .setName("mask_token")
                                .setType(Parameter.Type.OTHER)
                                .optShape(new Shape(decoderDim))
                                .optInitializer(new NormalInitializer(0.02f))
                                .build());
        for (int i = 0; i < b.depth; i++) {
            blocks.add(
                    addChildBlock(
                            "block_" + i,
                            TransformerBlock.builder()
                                    .setDim(decoderDim)
                                    .setHeads(b.heads)
                                    .optMlpRatio(b.mlpRatio)
                                    .build()));
        }
        norm = addChildBlock("norm", new LayerNormBlock(decoderDim));
        predWeight = addParameter(MlpBlock.weight("pred_weight", targetDim, decoderDim));
        predBias = addParameter(MlpBlock.bias("pred_bias", targetDim));
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.get(0); // (B, K, D)
        NDArray visibleIdx = inputs.get(1); // (B*K)
        NDArray maskedIdx = inputs.get(2); // (B*M)
        Device dev = h.getDevice();
        NDManager m = h.getManager();
        long b = h.getShape().get(0);
        long k = h.getShape().get(1);
        long masked = maskedIdx.getShape().get(0) / b;
        NDArray vis = NdOps.linear(h, ps.getValue(embedWeight, dev, training), null);
        vis = vis.add(NdOps.gatherRows(posTable, visibleIdx, b)); // (B, K, Dd)
        NDArray mask =
                m.zeros(new Shape(b, masked, decoderDim), DataType.FLOAT32, dev)
                        .add(ps.getValue(maskToken, dev, training))
                        .add(NdOps.gatherRows(posTable, maskedIdx, b)); // (B, M, Dd)
        NDArray x = NDArrays.concat(new NDList(vis, mask), 1); // (B, K+M, Dd)
        for (TransformerBlock block : blocks) {
            x = block.forward(ps, new NDList(x), training).head();
        }
        x = norm.forward(ps, new NDList(x), training).head();
        x = x.get(new NDIndex(":, {}:", k)); // (B, M, Dd)
        return NdOps.linearList(
                x, ps.getValue(predWeight, dev, training), ps.getValue(predBias, dev, training));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        Shape tokensShape = new Shape(1, 1, decoderDim);
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, tokensShape);
        }
        if (posTable == null) {
            posTable = SinusoidTable.create(manager, tokens, decoderDim);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {
            new Shape(
                    inputShapes[0].get(0), inputShapes[2].get(0) / inputShapes[0].get(0), targetDim)
        };
    }

    /** Builder of {@link StageDecoder}. */
    public static final class Builder {
        private int dim;
        private int decoderDim;
        private int heads;
        private int depth;
        private int mlpRatio = 4;
        private int tokens;
        private int targetDim;

        /** Encoder width {@code D}. */
        public Builder setDim(int dim) {
            this.dim = dim;
            return this;
        }

        /** Decoder width {@code Dd}, heads and depth {@code k}. */
        public Builder setDecoder(int decoderDim, int heads, int depth) {
            this.decoderDim = decoderDim;
            this.heads = heads;
            this.depth = depth;
            return this;
        }

        public Builder setTokens(int tokens) {
            this.tokens = tokens;
            return this;
        }

        public Builder setTargetDim(int targetDim) {
            this.targetDim = targetDim;
            return this;
        }

        public Builder optMlpRatio(int mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /** Builds the decoder. */
        public StageDecoder build() {
            if (dim <= 0 || decoderDim <= 0 || heads <= 0 || depth < 0 || tokens <= 0) {
                throw new IllegalArgumentException(
                        "StageDecoder needs dim, decoderDim, heads, depth >= 0 and tokens");
            }
            if (targetDim <= 0) {
                throw new IllegalArgumentException("StageDecoder needs a target dim");
            }
            return new StageDecoder(this);
        }
    }
}
