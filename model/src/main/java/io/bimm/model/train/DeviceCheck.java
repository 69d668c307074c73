package io.bimm.model.train;

import java.util.Optional;

/**
 * No silent CPU fallback: a device setting that names a GPU is refused when the loaded libtorch is
 * CPU-only or sees no GPU, and {@code auto} on a machine with an NVIDIA driver but a CPU-only
 * libtorch gets a warning naming the fix. The facts come in as values, so this is tested without a
 * GPU.
 */
public final class DeviceCheck {

    /** How to get the CUDA libtorch, for the messages. */
    public static final String FIX =
            "install a CUDA libtorch: set PYTORCH_FLAVOR=cu128 (or the flavor your driver supports)"
                    + " and remove ~/.djl.ai/pytorch to let DJL download it, or point"
                    + " PYTORCH_LIBRARY_PATH (with PYTORCH_VERSION and PYTORCH_FLAVOR) at an"
                    + " existing CUDA PyTorch's torch/lib (docs/gpu.md)";

    private DeviceCheck() {}

    /** A device setting that cannot run on this machine; the CLI exits 2 with its message. */
    public static final class DeviceUnavailableException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        DeviceUnavailableException(String message) {
            super(message);
        }
    }

    /**
     * Checks {@code spec} against what was loaded.
     *
     * @param nvidiaSmi whether an NVIDIA driver ({@code nvidia-smi}) is installed
     * @return a warning to print, if any
     * @throws DeviceUnavailableException when {@code spec} names a GPU that cannot be used
     */
    public static Optional<String> check(DeviceSpec spec, Libtorch lib, boolean nvidiaSmi) {
        if (spec.isAuto()) {
            if (nvidiaSmi && lib.gpuNames().isEmpty()) {
                return Optional.of(
                        "train.device=auto trains on the CPU: nvidia-smi is present but "
                                + lib.describe()
                                + (lib.isCuda()
                                        ? " sees no GPU (check CUDA_VISIBLE_DEVICES and the"
                                                + " driver)."
                                        : "; to train on the GPU, " + FIX + "."));
            }
            return Optional.empty();
        }
        int maxIndex = -1;
        for (DeviceSpec.Replica r : spec.replicas()) {
            if (r.kind() == DeviceSpec.Kind.GPU) {
                maxIndex = Math.max(maxIndex, r.index());
            }
        }
        if (maxIndex < 0) {
            return Optional.empty();
        }
        if (!lib.isCuda()) {
            throw new DeviceUnavailableException(
                    "train.device="
                            + spec
                            + " needs a GPU, but DJL loaded a CPU-only "
                            + lib.describe()
                            + "; "
                            + FIX
                            + ".");
        }
        if (maxIndex >= lib.gpuNames().size()) {
            throw new DeviceUnavailableException(
                    "train.device="
                            + spec
                            + " needs GPU "
                            + maxIndex
                            + ", but "
                            + lib.describe()
                            + " (check the driver, nvidia-smi and CUDA_VISIBLE_DEVICES).");
        }
        return Optional.empty();
    }
}
