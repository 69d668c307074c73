package io.bimm.model.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.bimm.model.nn.Autocast;
import io.bimm.model.train.Precision;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Dense peak throughput of a device for MFU: a table of NVIDIA GPUs by name (vendor datasheets,
 * dense tensor-core bf16 and plain fp32, no sparsity), and on the CPU a peak measured by square
 * products of the same precision in the same process (the best over sizes and kernels).
 */
public final class DevicePeaks {

    /** One row: a name fragment and its dense TFLOPS in bf16 and fp32. */
    record Row(String match, String label, double bf16, double fp32) {}

    /** Most specific names first: the first row whose fragment the GPU name contains wins. */
    static final List<Row> TABLE =
            List.of(
                    new Row("H100 PCIE", "H100 PCIe", 756, 51),
                    new Row("H100 NVL", "H100 NVL", 835, 60),
                    new Row("H100", "H100 SXM", 989, 67),
                    new Row("H200", "H200", 989, 67),
                    new Row("GH200", "GH200", 989, 67),
                    new Row("B200", "B200", 2250, 80),
                    new Row("A100", "A100", 312, 19.5),
                    new Row("L40S", "L40S", 362, 91.6),
                    new Row("L40", "L40", 181, 90.5),
                    new Row("L4", "L4", 121, 30.3),
                    new Row("A10G", "A10G", 70, 31.2),
                    new Row("A10", "A10", 125, 31.2),
                    new Row("RTX 4090", "RTX 4090", 165, 82.6),
                    new Row("RTX 6000 ADA", "RTX 6000 Ada", 365, 91.1));

    private DevicePeaks() {}

    /** The table's dense peak in TFLOPS for a GPU name and precision, empty when not listed. */
    public static OptionalDouble gpuPeak(String gpuName, Precision precision) {
        String n = gpuName.toUpperCase(Locale.ROOT);
        for (Row r : TABLE) {
            if (n.contains(r.match())) {
                return OptionalDouble.of(precision == Precision.BF16 ? r.bf16() : r.fp32());
            }
        }
        return OptionalDouble.empty();
    }

    /** Square sizes {@link #measureCpu(Precision)} tries. */
    static final int[] CPU_SIZES = {256, 512, 1024, 2048};

    /**
     * The CPU's dense peak in TFLOPS in {@code precision}: the best throughput of a plain matmul
     * and of a linear layer's product (the kernel the model's blocks run, which libtorch may route
     * elsewhere than {@code matmul} in bf16) over {@link #CPU_SIZES}, up to the size where one
     * product would take over {@link #MAX_PRODUCT_SECONDS}. A single size and kernel understates
     * it, and the model's own matmuls then reach an MFU above 1.
     */
    public static double measureCpu(Precision precision) {
        double best = 0;
        for (int n : CPU_SIZES) {
            for (Kernel k : Kernel.values()) {
                best = Math.max(best, measureCpu(precision, n, k));
            }
            // the next size costs 8x the flops: stop before one product would take over a second
            double seconds = 2.0 * n * n * n / (best * 1e12);
            if (seconds * 8 > MAX_PRODUCT_SECONDS) {
                break;
            }
        }
        return best;
    }

    /** The longest single product {@link #measureCpu(Precision)} times. */
    static final double MAX_PRODUCT_SECONDS = 1.0;

    /** The two products {@link #measureCpu(Precision)} times. */
    enum Kernel {
        MATMUL,
        LINEAR
    }

    /**
     * The CPU's throughput in TFLOPS of one {@code n x n} product in {@code precision} (best of a
     * few runs, after a warm-up).
     */
    static double measureCpu(Precision precision, int n, Kernel kernel) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            if (precision == Precision.BF16) {
                a = Autocast.toBf16(a);
                b = Autocast.toBf16(b);
            }
            double best = Double.MAX_VALUE;
            int runs = n >= 2048 ? 3 : 5;
            for (int i = 0; i < runs; i++) {
                try (NDManager scope = m.newSubManager()) {
                    long t0 = System.nanoTime();
                    NDArray c =
                            kernel == Kernel.MATMUL
                                    ? a.matMul(b)
                                    : Linear.linear(a, b).singletonOrThrow();
                    c.attach(scope);
                    Autocast.toFloat32(c.get(0, 0)).getFloat(); // wait for the result
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (i > 0) {
                        best = Math.min(best, s);
                    }
                }
            }
            return 2.0 * n * n * n / best / 1e12;
        }
    }
}
