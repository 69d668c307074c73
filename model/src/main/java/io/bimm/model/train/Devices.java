package io.bimm.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Which devices a {@link BimmTrainer} replicates the model on, and their memory in use. */
public final class Devices {

    private static final long MIB = 1024 * 1024;

    private Devices() {}

    /**
     * The replica devices of a spec: {@code auto} is every GPU DJL sees (data parallel), or the CPU
     * when there is none; {@code cpu} and {@code gpu} (GPU 0) are one device; otherwise a
     * comma-separated list of {@code cpu}, {@code gpu} and {@code gpuN} such as {@code gpu0,gpu1}.
     * A device may repeat ({@code cpu,cpu}): each entry is a separate parameter replica.
     */
    public static List<Device> resolve(String spec) {
        return resolve(DeviceSpec.parse(spec));
    }

    /** The replica devices of a parsed spec; a GPU index DJL does not see is refused. */
    public static List<Device> resolve(DeviceSpec spec) {
        int gpus = Engine.getInstance().getGpuCount();
        List<Device> out = new ArrayList<>();
        if (spec.isAuto()) {
            for (int i = 0; i < gpus; i++) {
                out.add(Device.gpu(i));
            }
            if (out.isEmpty()) {
                out.add(Device.cpu());
            }
            return out;
        }
        for (DeviceSpec.Replica r : spec.replicas()) {
            if (r.kind() == DeviceSpec.Kind.CPU) {
                out.add(Device.cpu());
            } else if (r.index() >= gpus) {
                throw new IllegalArgumentException(
                        "Device "
                                + r
                                + " requested, but DJL sees "
                                + (gpus == 0 ? "no GPU." : gpus + " GPU(s)."));
            } else {
                out.add(Device.gpu(r.index()));
            }
        }
        return out;
    }

    /**
     * Device memory in use, in MiB: for GPUs the sum over the distinct GPUs of what CUDA reports
     * used on each (the whole device, other processes included); for the CPU the resident memory of
     * this process (CPU tensors live in it); -1 when it cannot be read.
     */
    public static long memoryUsedMb(List<Device> devices) {
        Set<Device> distinct = new LinkedHashSet<>(devices);
        long bytes = 0;
        boolean cpu = false;
        for (Device d : distinct) {
            if (d.isGpu()) {
                try {
                    bytes += CudaUtils.getGpuMemory(d).getUsed();
                } catch (RuntimeException | LinkageError e) {
                    return -1;
                }
            } else {
                cpu = true;
            }
        }
        long mb = bytes / MIB;
        if (cpu) {
            long rss = residentMemoryMb();
            return rss < 0 ? -1 : mb + rss;
        }
        return mb;
    }

    /** Resident set size of this process from {@code /proc/self/status} VmRSS, or -1. */
    public static long residentMemoryMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
