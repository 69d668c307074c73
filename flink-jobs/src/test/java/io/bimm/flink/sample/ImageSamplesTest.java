package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.testutil.TestImages;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class ImageSamplesTest {

    @Test
    void anImageBecomesAVentralOnlySampleOfItsOwnPixels() throws Exception {
        PrepOptions options = PrepConfigOptions.read(new Configuration(), 64, 2);
        byte[] png = TestImages.patternPng(100, 70, 2);
        TrainingSample s;
        byte[] rgb;
        try (ImageSamples samples = new ImageSamples(options);
                ImageDecoder decoder = new ImageDecoder(options.decode())) {
            s = samples.process(png, "img-1", 0);
            rgb = decoder.decode(png, "img-1", options.seed(), 0);
            assertThat(samples.process(png, "img-1", 0)).isEqualTo(s);
        }
        // SPEC 3: 16 tokens, floor(0.75 * 16) = 12 masked, ascending, together all tokens.
        assertThat(s.ventralMaskedIdx).hasSize(12).isSorted();
        assertThat(s.ventralVisibleIdx).hasSize(4).isSorted();
        assertThat(ImageSamples.isImage(s)).isTrue();
        assertThat(s.dorsalPixels).isEmpty();
        assertThat(s.dorsalMotion).isEmpty();
        assertThat(s.ventralGabor).hasSize(12 * 32);
        assertThat(s.ventralContour).hasSize(12 * 256);
        // The V4 target of a masked patch and the pixels of a visible one are the image's own.
        int g = 4;
        int n = s.ventralMaskedIdx[0];
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16 * 3; x++) {
                int src = (((n / g) * 16 + y) * 64 + (n % g) * 16) * 3 + x;
                assertThat(s.ventralRgb[y * 48 + x]).isEqualTo(rgb[src]);
            }
        }
        int v = s.ventralVisibleIdx[0];
        int src = (((v / g) * 16) * 64 + (v % g) * 16) * 3;
        assertThat(s.ventralPixels[0]).isEqualTo(rgb[src]);
        // Every Gabor cell is L2-normalized (SPEC 2) or zero (flat).
        for (int c = 0; c < s.ventralGabor.length; c += 8) {
            double norm = 0;
            for (int j = 0; j < 8; j++) {
                norm += s.ventralGabor[c + j] * s.ventralGabor[c + j];
            }
            assertThat(norm)
                    .satisfiesAnyOf(
                            x ->
                                    assertThat(x)
                                            .isCloseTo(
                                                    1.0, org.assertj.core.data.Offset.offset(1e-3)),
                            x -> assertThat(x).isLessThan(1e-6));
        }
    }
}
