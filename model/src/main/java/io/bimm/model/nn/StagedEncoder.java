package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One branch encoder of SPEC 4: patch embed of the visible tokens plus the fixed sinusoid, then
 * {@code depth} blocks, returning the three stage outputs {@code h1, h2, h3} (after blocks s1, s2,
 * depth), each through its own LayerNorm.
 *
 * <p>The first blocks may be shared with the other branch: they are owned (registered as children)
 * by the {@code Bimm} model, not by this encoder, so their parameters exist once. Input: pixels
 * {@code (B, K, ...)} uint8 and the flat int64 visible index {@code (B*K)}; outputs {@code (B, K,
 * D)} each.
 */
public final class StagedEncoder extends AbstractBlock {

    private final int dim;
    private final int tokens;
    private final int[] splits;
    private final PatchEmbedBlock patchEmbed;
    private final List<TransformerBlock> blocks;
    private final LayerNormBlock[] norms = new LayerNormBlock[3];
    private NDArray posTable; // (N, D) constant

    private StagedEncoder(Builder b) {
        dim = b.dim;
        tokens = b.tokens;
        splits = b.splits.clone();
        patchEmbed =
                addChildBlock(
                        "patch_embed",
                        PatchEmbedBlock.builder().setDim(dim).optFrames(b.frames).build());
        List<TransformerBlock> all = new ArrayList<>(b.sharedBlocks);
        for (int i = b.sharedBlocks.size(); i < splits[2]; i++) {
            all.add(
                    addChildBlock(
                            "block_" + i,
                            TransformerBlock.builder()
                                    .setDim(dim)
                                    .setHeads(b.heads)
                                    .optMlpRatio(b.mlpRatio)
                                    .build()));
        }
        blocks = Collections.unmodifiableList(all);
        for (int s = 0; s < 3; s++) {
            norms[s] = addChildBlock("norm_" + s, new LayerNormBlock(dim));
        }
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    public PatchEmbedBlock getPatchEmbed() {
        return patchEmbed;
    }

    /** All {@code depth} blocks in order, shared ones first. */
    public List<TransformerBlock> getBlocks() {
        return blocks;
    }

    /** The LayerNorm of stage 0, 1 or 2. */
    public LayerNormBlock getNorm(int stage) {
        return norms[stage];
    }

    /** Embeds visible patches and adds their positions: {@code (B, K, D)}. */
    public NDArray embed(ParameterStore ps, NDArray pixels, NDArray visibleIdx, boolean training) {
        long b = pixels.getShape().get(0);
        NDArray x = patchEmbed.forward(ps, new NDList(pixels), training).head(); // (B, K, D)
        return x.add(NdOps.gatherRows(posTable, visibleIdx, b));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = embed(ps, inputs.get(0), inputs.get(1), training); // (B, K, D)
        NDList out = new NDList(3);
        int stage = 0;
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(ps, new NDList(x), training).head();
            while (stage < 3 && i + 1 == splits[stage]) {
                out.add(norms[stage].forward(ps, new NDList(x), training).head());
                stage++;
            }
        }
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        Shape tokensShape = new Shape(1, 1, dim);
        for (var child : getChildren()) {
            if (child.getValue() == patchEmbed) {
                child.getValue().initialize(manager, dataType, shapes[0]);
            } else {
                child.getValue().initialize(manager, dataType, tokensShape);
            }
        }
        if (posTable == null) {
            posTable = SinusoidTable.create(manager, tokens, dim);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), dim);
        return new Shape[] {s, s, s};
    }

    /** Builder of {@link StagedEncoder}. */
    public static final class Builder {
        private int dim;
        private int heads;
        private int mlpRatio = 4;
        private int frames = 1;
        private int tokens;
        private int[] splits;
        private List<TransformerBlock> sharedBlocks = List.of();

        public Builder setDim(int dim, int heads) {
            this.dim = dim;
            this.heads = heads;
            return this;
        }

        /** Stage splits {@code (s1, s2, depth)}. */
        public Builder setSplits(int... splits) {
            this.splits = splits.clone();
            return this;
        }

        /** Number of tokens {@code N} of the full (unmasked) input, for the position table. */
        public Builder setTokens(int tokens) {
            this.tokens = tokens;
            return this;
        }

        /** 1 for the ventral (image) branch, 2 for the dorsal (tubelet) branch. */
        public Builder optFrames(int frames) {
            this.frames = frames;
            return this;
        }

        public Builder optMlpRatio(int mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /** The first blocks, owned by the caller and shared with another encoder. */
        public Builder optSharedBlocks(List<TransformerBlock> sharedBlocks) {
            this.sharedBlocks = List.copyOf(sharedBlocks);
            return this;
        }

        /** Builds the encoder. */
        public StagedEncoder build() {
            if (dim <= 0 || heads <= 0 || tokens <= 0 || splits == null || splits.length != 3) {
                throw new IllegalArgumentException(
                        "StagedEncoder needs dim, heads, tokens and three splits");
            }
            if (sharedBlocks.size() > splits[2]) {
                throw new IllegalArgumentException(
                        "More shared blocks (" + sharedBlocks.size() + ") than depth " + splits[2]);
            }
            return new StagedEncoder(this);
        }
    }
}
