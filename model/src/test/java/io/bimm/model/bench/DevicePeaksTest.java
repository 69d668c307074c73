package io.bimm.model.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.model.train.Precision;
import org.junit.jupiter.api.Test;

/** The table lookup, and the CPU peak's kernels in both precisions. */
class DevicePeaksTest {

    @Test
    void looksUpGpusByTheirMostSpecificName() {
        assertThat(DevicePeaks.gpuPeak("NVIDIA H100 PCIe", Precision.BF16)).hasValue(756);
        assertThat(DevicePeaks.gpuPeak("NVIDIA H100 80GB HBM3", Precision.FP32)).hasValue(67);
        assertThat(DevicePeaks.gpuPeak("NVIDIA L40S", Precision.BF16)).hasValue(362);
        assertThat(DevicePeaks.gpuPeak("Tesla T4", Precision.BF16)).isEmpty();
    }

    @Test
    void everyCpuKernelRunsInEveryPrecision() {
        for (Precision p : Precision.values()) {
            for (DevicePeaks.Kernel k : DevicePeaks.Kernel.values()) {
                double tflops = DevicePeaks.measureCpu(p, 256, k);
                assertThat(tflops).as(p + " " + k).isPositive().isFinite();
            }
        }
    }
}
