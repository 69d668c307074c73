package io.bimm.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Patch embedding of visible patches (SPEC 4): pixel normalization on device, then a matmul equal
 * to {@code Conv2d(3, D, 16, stride 16)} (frames = 1) or {@code Conv3d(3, D, (2,16,16))} (frames =
 * 2). The kernel is kept in PyTorch's conv layout {@code [D, 3, (2,) 16, 16]}.
 *
 * <p>Input uint8 {@code (B, K, [2,] 16, 16, 3)} (channel-last patches, frame-major tubelets);
 * output {@code (B, K, D)}.
 */
public final class PatchEmbedBlock extends AbstractBlock {

    /** ImageNet mean per RGB channel. */
    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};

    /** ImageNet std per RGB channel. */
    public static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final int dim;
    private final int frames;
    private final Parameter weight;
    private final Parameter bias;

    private PatchEmbedBlock(Builder b) {
        dim = b.dim;
        frames = b.frames;
        int patch = 16;
        Shape kernel =
                frames == 1
                        ? new Shape(dim, 3, patch, patch)
                        : new Shape(dim, 3, frames, patch, patch);
        long fanIn = 3L * frames * patch * patch;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("proj_weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(kernel)
                                .optInitializer(MlpBlock.glorot(dim, fanIn))
                                .build());
        bias = addParameter(MlpBlock.bias("proj_bias", dim));
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Values per patch or tubelet: {@code frames * 16 * 16 * 3}. */
    public int getPatchValues() {
        return frames * 16 * 16 * 3;
    }

    /** The (kernel, bias) parameters, for export and inflation. */
    public Parameter[] parameters() {
        return new Parameter[] {weight, bias};
    }

    /** Normalizes uint8 pixels with channel last: {@code (x/255 - mean) / std}, as float32. */
    public static NDArray normalizePixels(NDArray pixels) {
        NDManager m = pixels.getManager();
        NDArray x = pixels.toType(DataType.FLOAT32, false).div(255f);
        return x.sub(m.create(MEAN).toDevice(x.getDevice(), false))
                .div(m.create(STD).toDevice(x.getDevice(), false));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray pixels = inputs.head(); // (B, K, [2,] 16, 16, 3) uint8
        Device dev = pixels.getDevice();
        long b = pixels.getShape().get(0);
        long k = pixels.getShape().get(1);
        NDArray x = normalizePixels(pixels).reshape(b, k, getPatchValues()); // (B, K, P)
        NDArray w = ps.getValue(weight, dev, training);
        // conv layout [D, 3, (2,) 16, 16] -> [D, (2,) 16, 16, 3] to match channel-last patches
        NDArray wFlat =
                NdOps.scoped(
                        frames == 1 ? w.transpose(0, 2, 3, 1) : w.transpose(0, 2, 3, 4, 1),
                        pixels.getManager());
        wFlat = wFlat.reshape(dim, getPatchValues()); // (D, P)
        return NdOps.linearList(x, wFlat, ps.getValue(bias, dev, training)); // (B, K, D)
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), dim)};
    }

    /** Builder of {@link PatchEmbedBlock}. */
    public static final class Builder {
        private int dim;
        private int frames = 1;

        public Builder setDim(int dim) {
            this.dim = dim;
            return this;
        }

        /** 1 for image patches (Conv2d), 2 for tubelets (Conv3d). */
        public Builder optFrames(int frames) {
            this.frames = frames;
            return this;
        }

        /** Builds the block. */
        public PatchEmbedBlock build() {
            if (dim <= 0 || (frames != 1 && frames != 2)) {
                throw new IllegalArgumentException(
                        "PatchEmbedBlock needs dim > 0 and frames 1 or 2, got "
                                + dim
                                + ", "
                                + frames);
            }
            return new PatchEmbedBlock(this);
        }
    }
}
