package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * Transformer MLP {@code fc2(GELU(fc1(x)))}; input and output {@code (B, N, D)}, hidden {@code rD}.
 */
public final class MlpBlock extends AbstractBlock {

    private final Parameter fc1Weight;
    private final Parameter fc1Bias;
    private final Parameter fc2Weight;
    private final Parameter fc2Bias;

    /** Creates the MLP of width {@code dim} with hidden width {@code hidden}. */
    public MlpBlock(int dim, int hidden) {
        fc1Weight = addParameter(weight("fc1_weight", hidden, dim));
        fc1Bias = addParameter(bias("fc1_bias", hidden));
        fc2Weight = addParameter(weight("fc2_weight", dim, hidden));
        fc2Bias = addParameter(bias("fc2_bias", dim));
    }

    static Parameter weight(String name, long out, long in) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(out, in))
                .optInitializer(glorot(out, in))
                .build();
    }

    /** Glorot-uniform initializer on a {@code [out, in]} view, as MAE initializes Linear layers. */
    static Initializer glorot(long out, long in) {
        return new UniformInitializer((float) Math.sqrt(6.0 / (out + in)));
    }

    static Parameter bias(String name, long n) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.BIAS)
                .optShape(new Shape(n))
                .optInitializer(Initializer.ZEROS)
                .build();
    }

    /** The (fc1 weight, fc1 bias, fc2 weight, fc2 bias) parameters, for export. */
    public Parameter[] parameters() {
        return new Parameter[] {fc1Weight, fc1Bias, fc2Weight, fc2Bias};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head(); // (B, N, D)
        var dev = x.getDevice();
        NDArray h =
                NdOps.linear(
                        x,
                        ps.getValue(fc1Weight, dev, training),
                        ps.getValue(fc1Bias, dev, training)); // (B, N, rD)
        h = Activation.gelu(h);
        return NdOps.linearList(
                h, ps.getValue(fc2Weight, dev, training), ps.getValue(fc2Bias, dev, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
