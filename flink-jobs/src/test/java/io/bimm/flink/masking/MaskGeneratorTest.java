package io.bimm.flink.masking;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.sample.SampleRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MaskGeneratorTest {

    @Test
    void countsFollowSpec() {
        assertThat(MaskGenerator.maskedCount(0.75, 196)).isEqualTo(147);
        assertThat(MaskGenerator.maskedCount(0.9, 196)).isEqualTo(176);
        assertThat(MaskGenerator.maskedCount(0.95, 196)).isEqualTo(186);
        assertThat(MaskGenerator.maskedCount(0.5, 49)).isEqualTo(24);
        assertThat(MaskGenerator.maskedCount(0.29, 100)).isEqualTo(29);
        for (double ratio : new double[] {0.5, 0.75, 0.9, 0.95}) {
            Mask v = MaskGenerator.random(196, ratio, new SplittableRandom(1));
            assertThat(v.masked()).hasSize((int) Math.floor(ratio * 196 + 1e-9));
            assertThat(v.visible()).hasSize(196 - v.masked().length);
            assertPartition(v, 196);
        }
        Mask ventral = MaskGenerator.random(196, 0.75, new SplittableRandom(2));
        assertThat(ventral.visible()).hasSize(49);
        Mask dorsal = MaskGenerator.tube(8, 196, 0.9, new SplittableRandom(3));
        assertThat(dorsal.masked()).hasSize(1408);
        assertThat(dorsal.visible()).hasSize(160);
        assertPartition(dorsal, 1568);
    }

    @Test
    void tubeIsTheSameAtEveryTimeSlot() {
        Mask m = MaskGenerator.tube(8, 196, 0.9, new SplittableRandom(4));
        boolean[] b = m.toBooleans();
        for (int t = 1; t < 8; t++) {
            assertThat(Arrays.copyOfRange(b, t * 196, (t + 1) * 196))
                    .isEqualTo(Arrays.copyOfRange(b, 0, 196));
        }
    }

    @Test
    void everyTokenIsMaskedEquallyOften() {
        // 4000 draws of 147 of 196: each token is masked ~3000 times; chi-square with 195 dof
        // has mean 195 and sd ~20, so 300 is a > 5 sd bound.
        int n = 196;
        int draws = 4000;
        long[] counts = new long[n];
        for (int d = 0; d < draws; d++) {
            Mask m =
                    MaskGenerator.random(
                            n, 0.75, SampleRandom.of(1, "c", d, SampleRandom.Purpose.VENTRAL_MASK));
            for (int i : m.masked()) {
                counts[i]++;
            }
        }
        assertThat(chiSquare(counts, draws * 147.0 / n)).isLessThan(300);
        long[] tube = new long[n];
        for (int d = 0; d < draws; d++) {
            Mask m =
                    MaskGenerator.tube(
                            2,
                            n,
                            0.9,
                            SampleRandom.of(1, "c", d, SampleRandom.Purpose.DORSAL_MASK));
            for (int i : m.masked()) {
                if (i < n) {
                    tube[i]++;
                }
            }
        }
        assertThat(chiSquare(tube, draws * 176.0 / n)).isLessThan(300);
        // And a biased generator would fail the same bound: always masking the first 147.
        long[] biased = new long[n];
        IntStream.range(0, 147).forEach(i -> biased[i] = draws);
        assertThat(chiSquare(biased, draws * 147.0 / n)).isGreaterThan(300);
    }

    @Test
    void reproducibleFromSeedClipAndDraw() {
        Mask a = MaskGenerator.random(196, 0.75, rnd(1, "x", 0));
        Mask b = MaskGenerator.random(196, 0.75, rnd(1, "x", 0));
        assertThat(a.masked()).isEqualTo(b.masked());
        assertThat(MaskGenerator.random(196, 0.75, rnd(2, "x", 0)).masked())
                .isNotEqualTo(a.masked());
        assertThat(MaskGenerator.random(196, 0.75, rnd(1, "y", 0)).masked())
                .isNotEqualTo(a.masked());
        assertThat(MaskGenerator.random(196, 0.75, rnd(1, "x", 1)).masked())
                .isNotEqualTo(a.masked());
    }

    private static SplittableRandom rnd(long seed, String clip, int draw) {
        return SampleRandom.of(seed, clip, draw, SampleRandom.Purpose.VENTRAL_MASK);
    }

    private static double chiSquare(long[] counts, double expected) {
        double chi = 0;
        for (long c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    private static void assertPartition(Mask m, int n) {
        assertThat(m.visible()).isSorted();
        assertThat(m.masked()).isSorted();
        int[] all =
                IntStream.concat(Arrays.stream(m.visible()), Arrays.stream(m.masked()))
                        .sorted()
                        .toArray();
        assertThat(all).isEqualTo(IntStream.range(0, n).toArray());
    }
}
