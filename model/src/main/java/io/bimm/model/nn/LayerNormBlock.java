package io.bimm.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/** LayerNorm over the last axis, eps 1e-6 (SPEC 4), with PyTorch's weight/bias parameters. */
public final class LayerNormBlock extends AbstractBlock {

    private final Parameter weight;
    private final Parameter bias;

    /** Creates a LayerNorm of width {@code dim}. */
    public LayerNormBlock(int dim) {
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.GAMMA)
                                .optShape(new Shape(dim))
                                .optInitializer(Initializer.ONES)
                                .build());
        bias =
                addParameter(
                        Parameter.builder()
                                .setName("bias")
                                .setType(Parameter.Type.BETA)
                                .optShape(new Shape(dim))
                                .optInitializer(Initializer.ZEROS)
                                .build());
    }

    /** The (weight, bias) parameters, for export. */
    public Parameter[] parameters() {
        return new Parameter[] {weight, bias};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head(); // (..., D)
        Device dev = x.getDevice();
        return new NDList(
                NdOps.layerNorm(
                        x, ps.getValue(weight, dev, training), ps.getValue(bias, dev, training)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
