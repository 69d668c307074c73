package io.bimm.model.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
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
 */
final class ReplicaStore extends ParameterStore {

    private final NDManager scope;
    private final boolean master;
    private final Map<Parameter, NDArray> copies = new IdentityHashMap<>();

    /** A store of replica arrays living in {@code scope} (on the replica's device). */
    ReplicaStore(NDManager scope, boolean master) {
        super(scope, false);
        this.scope = scope;
        this.master = master;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
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
