package io.bimm.flink.cli;

import io.bimm.model.bench.TrainBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm bench train}: training steps on synthetic batches of a preset's true shapes and mask
 * ratios; the last line is {@code train clips_per_s=X step_s=Y peak_rss_mb=Z precision=P tflops=T
 * mfu=U peak_device_mb=M} (docs/gpu.md).
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Measure training steps on synthetic batches of the preset's true shapes and mask"
                    + " ratios; prints the parameter count, then as the last line"
                    + " 'train clips_per_s=X step_s=Y peak_rss_mb=Z precision=P tflops=T mfu=U"
                    + " peak_device_mb=M' (MFU against the device's dense peak; docs/gpu.md)."
        })
public final class BenchTrainCommand implements Callable<Integer> {

    @Option(
            names = "--preset",
            defaultValue = "tiny",
            description = "Model preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(
            names = "--batch",
            defaultValue = "8",
            description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(
            names = "--devices",
            description =
                    "Data parallel: auto (every GPU DJL sees, else the CPU) or a list of replica"
                            + " devices such as gpu0,gpu1 or cpu,cpu; overrides --device.")
    String devices;

    @Option(
            names = "--threads",
            defaultValue = "0",
            description = "PyTorch intra-op threads, 0 for the engine's default.")
    int threads;

    @Option(
            names = "--steps",
            defaultValue = "20",
            description = "Measured steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--precision",
            description =
                    "fp32, or bf16 (bfloat16 matmuls on float32 master weights); default bf16 on"
                            + " a GPU, fp32 on the CPU.")
    String precision;

    @Option(
            names = "--stage",
            defaultValue = "joint",
            description = "ventral, joint or dorsal (default: ${DEFAULT-VALUE}).")
    String stage;

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("--preset", preset, "--batch", Integer.toString(batch)));
        args.addAll(List.of("--device", device, "--steps", Integer.toString(steps)));
        args.addAll(List.of("--stage", stage, "--threads", Integer.toString(threads)));
        if (precision != null) {
            args.addAll(List.of("--precision", precision));
        }
        if (devices != null) {
            args.addAll(List.of("--devices", devices));
        }
        int code = TrainBench.run(System.out, args.toArray(String[]::new));
        if (code == 2) {
            throw new UserException("bench train: bad arguments (see bimm bench train --help).");
        }
        return code;
    }
}
