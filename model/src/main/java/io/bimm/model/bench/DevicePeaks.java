package io.bimm.model.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.bimm.model.nn.Autocast;
import io.bimm.model.train.Precision;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Dense peak throughput of a device for MFU: a table of NVIDIA GPUs by name (vendor datasheets,
 * dense tensor-core bf16 and plain fp32, no sparsity), and on the CPU a peak measured by a square
 * matmul of the same precision in the same process.
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

    /**
     * The CPU's matmul throughput in TFLOPS in {@code precision}, measured on {@code n x n}
     * matrices (best of a few runs, after a warm-up).
     */
    public static double measureCpu(Precision precision, int n) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            if (precision == Precision.BF16) {
                a = Autocast.toBf16(a);
                b = Autocast.toBf16(b);
            }
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                try (NDManager scope = m.newSubManager()) {
                    long t0 = System.nanoTime();
                    NDArray c = a.matMul(b);
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
