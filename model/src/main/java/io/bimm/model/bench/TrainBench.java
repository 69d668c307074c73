package io.bimm.model.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.DeviceCheck;
import io.bimm.model.train.DeviceSpec;
import io.bimm.model.train.Devices;
import io.bimm.model.train.Libtorch;
import io.bimm.model.train.MaskedBatch;
import io.bimm.model.train.Precision;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench train}: joint training steps on synthetic batches of a preset's true shapes and mask
 * ratios. Prints the parameter count, then as its last line {@code train clips_per_s=X step_s=Y
 * peak_rss_mb=Z precision=P tflops=T mfu=U peak_device_mb=M}: achieved matmul TFLOPS from {@link
 * FlopCount}, and their share of the device's dense peak ({@link DevicePeaks}; {@code unknown} for
 * a GPU not in the table).
 */
public final class TrainBench {

    private static final String USAGE =
            "usage: bench train [--preset tiny|small|base|large] [--batch B] [--device cpu|gpu|auto]"
                    + " [--devices auto|LIST] [--steps N] [--warmup W]"
                    + " [--stage ventral|joint|dorsal] [--threads N] [--rss-every N]"
                    + " [--precision fp32|bf16]";

    private TrainBench() {}

    /** Entry point; exits with the code of {@link #run}. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the benchmark; 0 on success, 2 on bad arguments. */
    public static int run(String... args) {
        return run(System.out, args);
    }

    /** Runs the benchmark, printing to {@code out}; 0 on success, 2 on bad arguments. */
    public static int run(PrintStream out, String... args) {
        Preset preset = Preset.TINY;
        int batch = 8;
        String device = "cpu";
        String devices = null;
        int threads = 0;
        int steps = 20;
        int warmup = 2;
        Stage stage = Stage.JOINT;
        int rssEvery = 0;
        Precision precision = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("train") && i == 0) {
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + a);
                }
                String v = args[++i];
                switch (a) {
                    case "--preset" -> preset = Preset.of(v);
                    case "--batch" -> batch = Integer.parseInt(v);
                    case "--device" -> device = v;
                    case "--devices" -> devices = v;
                    case "--threads" -> threads = Integer.parseInt(v);
                    case "--steps" -> steps = Integer.parseInt(v);
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    case "--stage" -> stage = Stage.of(v);
                    case "--rss-every" -> rssEvery = Integer.parseInt(v);
                    case "--precision" -> precision = Precision.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (batch <= 0 || steps <= 0 || warmup < 0) {
                throw new IllegalArgumentException("batch and steps must be positive");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("bench train: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        List<Device> devs;
        try {
            Libtorch lib = Libtorch.detect();
            out.println(lib.describe());
            DeviceCheck.check(
                            devices == null ? DeviceSpec.parse(device) : DeviceSpec.parse(devices),
                            lib,
                            Libtorch.hasNvidiaSmi())
                    .ifPresent(w -> System.err.println("bench train: warning: " + w));
            // --devices (data parallel, one replica per entry) wins over --device
            devs =
                    devices == null
                            ? List.of(BimmTrainer.resolveDevice(device))
                            : Devices.resolve(devices);
        } catch (IllegalArgumentException e) {
            System.err.println("bench train: " + e.getMessage());
            return 2;
        }
        if (precision == null) {
            precision = Precision.defaultFor(devs.get(0));
        }
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        BimmConfig config = BimmConfig.builder(preset).build();
        Engine.getInstance().setRandomSeed(0);
        try (Bimm model = Bimm.newModel(config, devs.get(0));
                BimmTrainer trainer =
                        new BimmTrainer(
                                model,
                                TrainOptions.builder().optStage(stage).optBatchSize(batch).build(),
                                devs,
                                precision)) {
            out.printf(
                    Locale.ROOT,
                    "preset=%s parameters=%d device=%s batch=%d stage=%s S=%d T=%d"
                            + " torch=%s threads=%d precision=%s%n",
                    config.getPreset(),
                    model.parameterCount(),
                    devs.size() == 1 ? devs.get(0) : devs,
                    batch,
                    stage.name().toLowerCase(Locale.ROOT),
                    config.getImageSize(),
                    config.getFrames(),
                    Engine.getInstance().getVersion(),
                    JniUtils.getNumThreads(),
                    precision.label());
            SyntheticBatches data = new SyntheticBatches(config, 1);
            // a few distinct batches, generated outside the timed loop
            List<MaskedBatch> batches = new ArrayList<>();
            for (int i = 0; i < Math.min(4, steps + warmup); i++) {
                batches.add(data.next(batch));
            }
            for (int i = 0; i < warmup; i++) {
                trainer.step(batches.get(i % batches.size()));
            }
            long peakDeviceMb = trainer.deviceMemoryMb();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                trainer.step(batches.get(i % batches.size()));
                if (devs.get(0).isGpu()) {
                    peakDeviceMb = Math.max(peakDeviceMb, trainer.deviceMemoryMb());
                }
                if (rssEvery > 0 && (i + 1) % rssEvery == 0) {
                    // resident memory over time: it must stay flat (every step is scoped)
                    out.printf(Locale.ROOT, "step=%d rss_mb=%d%n", i + 1, statusMb("VmRSS:"));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double stepS = seconds / steps;
            // CPU time of the whole process per step: on a shared machine it varies much less
            // with the load than the wall time does
            out.printf(
                    Locale.ROOT, "cpu_s_per_step=%.4f%n", (processCpuNanos() - cpu0) / 1e9 / steps);
            double flops = FlopCount.step(config, stage, batch);
            double tflops = flops / stepS / 1e12;
            Peak peak = peak(devs, precision);
            out.printf(
                    Locale.ROOT,
                    "flops_per_step=%.4g peak_tflops=%s peak_source=%s%n",
                    flops,
                    peak.tflops() > 0
                            ? String.format(Locale.ROOT, "%.4g", peak.tflops())
                            : "unknown",
                    peak.source());
            out.printf(
                    Locale.ROOT,
                    "train clips_per_s=%.2f step_s=%.4f peak_rss_mb=%d precision=%s tflops=%.4f"
                            + " mfu=%s peak_device_mb=%d%n",
                    batch / stepS,
                    stepS,
                    peakRssMb(),
                    precision.label(),
                    tflops,
                    peak.tflops() > 0
                            ? String.format(Locale.ROOT, "%.4f", tflops / peak.tflops())
                            : "unknown",
                    devs.get(0).isGpu() ? peakDeviceMb : peakRssMb());
        }
        return 0;
    }

    /** A device's dense peak in TFLOPS (0 when unknown) and where it comes from. */
    record Peak(double tflops, String source) {}

    /** The peak of all replica devices: the table for GPUs by name, a measured matmul on a CPU. */
    static Peak peak(List<Device> devs, Precision precision) {
        if (!devs.get(0).isGpu()) {
            // replicas sharing the CPU share its peak
            return new Peak(DevicePeaks.measureCpu(precision), "measured-cpu-matmul");
        }
        List<String> names = Libtorch.nvidiaSmiNames();
        double sum = 0;
        String label = "";
        for (Device d : new java.util.LinkedHashSet<>(devs)) {
            int i = d.getDeviceId();
            String name = i < names.size() ? names.get(i) : "unknown";
            var p = DevicePeaks.gpuPeak(name, precision);
            if (p.isEmpty()) {
                return new Peak(0, "unknown-gpu:" + name.replace(' ', '_'));
            }
            sum += p.getAsDouble();
            label = name.replace(' ', '_');
        }
        return new Peak(sum, "table:" + label);
    }

    private static long processCpuNanos() {
        return ProcessHandle.current()
                .info()
                .totalCpuDuration()
                .map(java.time.Duration::toNanos)
                .orElse(-1L);
    }

    /** Peak resident set size of this process from {@code /proc/self/status} VmHWM, or -1. */
    public static long peakRssMb() {
        return statusMb("VmHWM:");
    }

    private static long statusMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    String kb = line.substring(field.length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
