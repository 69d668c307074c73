package io.bimm.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A parsed device setting ({@code train.device}, {@code bench train --devices}): {@link #AUTO}, or
 * a list of replica devices such as {@code gpu0,gpu1}. Parsing needs no engine, so a bad setting is
 * refused before a job starts; {@link Devices#resolve} maps it onto the devices DJL sees.
 *
 * @param replicas the replica devices in order; empty for {@link #AUTO}
 */
public record DeviceSpec(List<Replica> replicas) {

    /** Every GPU DJL sees (data parallel), else the CPU. */
    public static final DeviceSpec AUTO = new DeviceSpec(List.of());

    /** The kind of one replica device. */
    public enum Kind {
        CPU,
        GPU
    }

    /** One replica device: the CPU, or a GPU by index. */
    public record Replica(Kind kind, int index) {
        @Override
        public String toString() {
            return kind == Kind.CPU ? "cpu" : "gpu" + index;
        }
    }

    public DeviceSpec {
        replicas = List.copyOf(replicas);
    }

    /** Whether this is {@link #AUTO}. */
    public boolean isAuto() {
        return replicas.isEmpty();
    }

    /**
     * Parses {@code auto}, or a comma-separated list of {@code cpu}, {@code gpu} (GPU 0) and {@code
     * gpuN} such as {@code gpu0,gpu1} or {@code cpu, cpu} (case-insensitive). A device may repeat:
     * each entry is a separate parameter replica.
     *
     * @throws IllegalArgumentException naming the entry that is no device
     */
    public static DeviceSpec parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return AUTO;
        }
        List<Replica> out = new ArrayList<>();
        for (String name : s.split(",", -1)) {
            String n = name.trim();
            if (n.equals("cpu")) {
                out.add(new Replica(Kind.CPU, 0));
            } else if (n.matches("gpu\\d{0,6}")) {
                int id = n.length() == 3 ? 0 : Integer.parseInt(n.substring(3));
                out.add(new Replica(Kind.GPU, id));
            } else {
                throw new IllegalArgumentException(
                        "Unknown device '"
                                + n
                                + "' in '"
                                + spec
                                + "', expected auto, or a list of cpu, gpu, gpuN.");
            }
        }
        return new DeviceSpec(out);
    }

    /** The setting as {@link #parse} reads it, e.g. {@code auto} or {@code gpu0,gpu1}. */
    @Override
    public String toString() {
        return isAuto()
                ? "auto"
                : replicas.stream().map(Replica::toString).collect(Collectors.joining(","));
    }
}
