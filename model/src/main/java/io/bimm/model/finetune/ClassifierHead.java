package io.bimm.model.finetune;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.bimm.model.nn.LayerNormBlock;

/**
 * The task head of VideoMAE's finetuning model with mean pooling: {@code fc_norm} (LayerNorm) then
 * {@code head} (Linear D -> C), on mean-pooled tokens {@code (B, D)}; output logits {@code (B, C)}.
 * Head weights start small (normal, std 2e-5, as VideoMAE's {@code init_scale} 0.001 on
 * trunc-normal 0.02 does), bias zero.
 */
public final class ClassifierHead extends AbstractBlock {

    private final int dim;
    private final int classes;
    private final LayerNormBlock fcNorm;
    private final Parameter weight;
    private final Parameter bias;

    /** A head from width {@code dim} to {@code classes} logits. */
    public ClassifierHead(int dim, int classes) {
        if (dim <= 0 || classes < 2) {
            throw new IllegalArgumentException(
                    "A classifier head needs dim > 0 and at least 2 classes, got "
                            + dim
                            + ", "
                            + classes);
        }
        this.dim = dim;
        this.classes = classes;
        fcNorm = addChildBlock("fc_norm", new LayerNormBlock(dim));
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("head_weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(classes, dim))
                                .optInitializer(new NormalInitializer(2e-5f))
                                .build());
        bias =
                addParameter(
                        Parameter.builder()
                                .setName("head_bias")
                                .setType(Parameter.Type.BIAS)
                                .optShape(new Shape(classes))
                                .optInitializer(ai.djl.training.initializer.Initializer.ZEROS)
                                .build());
    }

    public int getClasses() {
        return classes;
    }

    /** ({@code fc_norm.weight}, {@code fc_norm.bias}, {@code head.weight}, {@code head.bias}). */
    public Parameter[] parameters() {
        Parameter[] n = fcNorm.parameters();
        return new Parameter[] {n[0], n[1], weight, bias};
    }

    /** VideoMAE's names of {@link #parameters()}. */
    public static String[] parameterNames() {
        return new String[] {"fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias"};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = fcNorm.forward(ps, inputs, training).head(); // (B, D)
        Device dev = x.getDevice();
        return Linear.linear(
                x, ps.getValue(weight, dev, training), ps.getValue(bias, dev, training));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        fcNorm.initialize(manager, dataType, new Shape(1, dim));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }
}
