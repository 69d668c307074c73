package io.bimm.model.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.bimm.model.nn.Autocast;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The parameters one data-parallel replica computes with during one step: the model's own arrays
 * (the master copy) for replica 0, or fresh copies of them on the replica's device, each with its
 * own gradient, for the others.
 *
 * <p>DJL's {@link ParameterStore} keeps one mirror per {@link Device} and refuses a device twice,
 * and DJL 0.36 has a single CPU device ({@code Device.of("cpu", 1)} equals {@code Device.cpu()});
 * keying the copies by replica instead lets several replicas share a device, which is how the data
 * parallel path is tested on a CPU-only machine. Copying at the start of every step is the
 * broadcast of the updated master parameters; the copies die with the step's scope.
 *
 * <p>With {@link Precision#BF16} the matmul parameters (types {@code WEIGHT} and {@code BIAS}) are
 * handed out as bfloat16 casts of the float32 leaves, made once per step on first use; the cast is
 * recorded by autograd, so gradients arrive in float32 on the leaves (PyTorch autocast's weight
 * cache). LayerNorm parameters and mask tokens stay float32.
 */
final class ReplicaStore extends ParameterStore {

    private final NDManager scope;
    private final boolean master;
    private final Precision precision;
    private final Map<Parameter, NDArray> copies = new IdentityHashMap<>();
    private final Map<Parameter, NDArray> casts = new IdentityHashMap<>();

    /** A float32 store of replica arrays living in {@code scope} (on the replica's device). */
    ReplicaStore(NDManager scope, boolean master) {
        this(scope, master, Precision.FP32);
    }

    /**
     * A store of replica arrays in {@code scope} handing out matmul weights in {@code precision}.
     */
    ReplicaStore(NDManager scope, boolean master, Precision precision) {
        super(scope, false);
        this.scope = scope;
        this.master = master;
        this.precision = precision;
    }

    Precision getPrecision() {
        return precision;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        if (precision == Precision.FP32 || !isMatmul(parameter)) {
            return leaf(parameter, training);
        }
        return casts.computeIfAbsent(
                parameter,
                p -> {
                    // in the caller's grad mode: the cast is part of the graph when training
                    NDArray cast = Autocast.toBf16(leaf(p, training));
                    cast.attach(scope);
                    return cast;
                });
    }

    /**
     * Whether autocast runs {@code parameter}'s op in the low precision: linear weights, biases.
     */
    static boolean isMatmul(Parameter parameter) {
        return parameter.getType() == Parameter.Type.WEIGHT
                || parameter.getType() == Parameter.Type.BIAS;
    }

    /** The float32 array of {@code parameter} gradients accumulate on. */
    private NDArray leaf(Parameter parameter, boolean training) {
        if (master) {
            return parameter.getArray();
        }
        return copies.computeIfAbsent(parameter, p -> copyOf(p, training));
    }

    private NDArray copyOf(Parameter parameter, boolean training) {
        NDArray src = parameter.getArray();
        Device dev = scope.getDevice();
        // a copy made in grad mode would hang off the master in the graph: make a fresh leaf
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray copy = dev.equals(src.getDevice()) ? src.duplicate() : src.toDevice(dev, true);
            copy.attach(scope);
            if (training && parameter.requiresGradient()) {
                copy.setRequiresGradient(true);
            }
            return copy;
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * The gradient this replica computed for {@code parameter}, in the replica's scope; for the
     * master replica, the parameter's own gradient.
     */
    NDArray gradient(Parameter parameter) {
        NDArray array = master ? parameter.getArray() : copies.get(parameter);
        if (array == null) {
            return null;
        }
        NDArray g = array.getGradient();
        g.attach(scope);
        return g;
    }
}
