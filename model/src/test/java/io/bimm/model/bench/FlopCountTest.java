package io.bimm.model.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.model.train.Precision;
import org.junit.jupiter.api.Test;

/** The analytic step FLOPs against a hand count for the tiny preset. */
class FlopCountTest {

    private static final BimmConfig TINY = BimmConfig.builder(Preset.TINY).build();

    // tiny: D 192, 12 blocks, MLP ratio 4, Dd 96, decoder depths 1, 1, 2, S 112 (7x7 = 49
    // patches), T 8 (4 x 49 = 196 tubelets); ventral 36 masked, 13 visible; dorsal 4 x 44 = 176
    // masked, 20 visible; target values 32, 256, 768 (ventral) and 64, 512, 1536 (dorsal)
    private static final double VENTRAL =
            2.0 * 13 * 768 * 192 // patch embedding
                    + 12 * (24.0 * 13 * 192 * 192 + 4.0 * 13 * 13 * 192) // encoder blocks
                    + 3 * (2.0 * 13 * 192 * 96) // decoder embeddings
                    + 4 * (24.0 * 49 * 96 * 96 + 4.0 * 49 * 49 * 96) // 1 + 1 + 2 decoder blocks
                    + 2.0 * 36 * 96 * (32 + 256 + 768); // predictions
    private static final double DORSAL =
            2.0 * 20 * 1536 * 192
                    + 12 * (24.0 * 20 * 192 * 192 + 4.0 * 20 * 20 * 192)
                    + 3 * (2.0 * 20 * 192 * 96)
                    + 4 * (24.0 * 196 * 96 * 96 + 4.0 * 196 * 196 * 96)
                    + 2.0 * 176 * 96 * (64 + 512 + 1536);

    @Test
    void tinyMatchesTheHandCount() {
        assertThat(VENTRAL).isEqualTo(199_186_944.0);
        assertThat(FlopCount.forwardPerSample(TINY, Branch.VENTRAL)).isEqualTo(VENTRAL);
        assertThat(FlopCount.forwardPerSample(TINY, Branch.DORSAL)).isEqualTo(DORSAL);
        assertThat(FlopCount.step(TINY, Stage.JOINT, 8)).isEqualTo(3 * 8 * (VENTRAL + DORSAL));
        assertThat(FlopCount.step(TINY, Stage.VENTRAL, 8)).isEqualTo(3 * 8 * VENTRAL);
        assertThat(FlopCount.step(TINY, Stage.DORSAL, 2)).isEqualTo(3 * 2 * DORSAL);
    }

    @Test
    void gpuPeaksComeFromTheTableByName() {
        assertThat(DevicePeaks.gpuPeak("NVIDIA H100 80GB HBM3", Precision.BF16)).hasValue(989);
        assertThat(DevicePeaks.gpuPeak("NVIDIA H100 PCIe", Precision.BF16)).hasValue(756);
        assertThat(DevicePeaks.gpuPeak("NVIDIA L40S", Precision.FP32)).hasValue(91.6);
        assertThat(DevicePeaks.gpuPeak("NVIDIA L4", Precision.BF16)).hasValue(121);
        assertThat(DevicePeaks.gpuPeak("NVIDIA A100-SXM4-80GB", Precision.BF16)).hasValue(312);
        assertThat(DevicePeaks.gpuPeak("Tesla T4", Precision.BF16)).isEmpty();
    }
}
