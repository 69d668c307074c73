package io.bimm.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.sample.DecodeLimits;
import io.bimm.flink.testutil.TestImages;
import io.bimm.schemas.DeadLetterReason;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static DecodeOptions options(boolean deterministic) {
        return DecodeLimits.defaults()
                .applyTo(DecodeOptions.builder().optSize(32).optFrames(2).optStride(1))
                .optDeterministic(deterministic)
                .build();
    }

    @Test
    void decodesToRgbInTheSampledSize() throws Exception {
        byte[] png = TestImages.solidPng(90, 50, 0xC80A1E);
        try (ImageDecoder d = new ImageDecoder(options(false))) {
            byte[] rgb = d.decode(png, "solid", 0, 0);
            assertThat(rgb).hasSize(32 * 32 * 3);
            for (int p = 0; p < rgb.length; p += 3) {
                assertThat(new int[] {rgb[p] & 0xFF, rgb[p + 1] & 0xFF, rgb[p + 2] & 0xFF})
                        .containsExactly(200, 10, 30);
            }
        }
    }

    @Test
    void deterministicIsTheCentreCropOfTheScaledImage() throws Exception {
        // 64 x 32, left half black, right half white: scaled by 1 to short side 32 it is 64 x 32,
        // the centre crop x in [16, 48): left half black, right half white again.
        byte[] png = TestImages.image("png", 64, 32, (x, y) -> x < 32 ? 0 : 0xFFFFFF);
        try (ImageDecoder d = new ImageDecoder(options(true))) {
            byte[] rgb = d.decode(png, "halves", 0, 0);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int v = rgb[(y * 32 + x) * 3] & 0xFF;
                    assertThat(v).as("x=%d y=%d", x, y).isEqualTo(x < 16 ? 0 : 255);
                }
            }
            assertThat(d.decode(png, "other-id", 7, 3)).isEqualTo(rgb);
        }
    }

    @Test
    void randomSamplingIsAFunctionOfSeedIdAndDraw() throws Exception {
        byte[] png = TestImages.patternPng(120, 80, 3);
        try (ImageDecoder d = new ImageDecoder(options(false))) {
            byte[] a = d.decode(png, "img", 1, 0);
            assertThat(d.decode(png, "img", 1, 0)).isEqualTo(a);
            boolean differs = false;
            for (int draw = 1; draw < 6; draw++) {
                differs |= !java.util.Arrays.equals(a, d.decode(png, "img", 1, draw));
            }
            assertThat(differs).isTrue();
        }
    }

    @Test
    void hostileImagesAreRefusedWithTheirReason() throws Exception {
        byte[] noise = new byte[5000];
        new Random(5).nextBytes(noise);
        try (ImageDecoder d = new ImageDecoder(options(false))) {
            assertThatThrownBy(
                            () -> d.decode(TestImages.hugePngHeader(100_000, 100_000), "h", 0, 0))
                    .isInstanceOf(DecodeException.class)
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.LIMIT_EXCEEDED));
            // 16 pixels over the 3840x2160 box in either orientation.
            assertThatThrownBy(() -> d.decode(TestImages.hugePngHeader(2176, 3840), "p", 0, 0))
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.LIMIT_EXCEEDED));
            assertThatThrownBy(() -> d.decode(noise, "n", 0, 0))
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.NOT_IMAGE));
            assertThatThrownBy(() -> d.decode(TestImages.truncatedPng(), "t", 0, 0))
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.DECODE_ERROR));
            assertThatThrownBy(() -> d.decode(new byte[0], "e", 0, 0))
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.NOT_IMAGE));
            // A header within the box over corrupt data: decoded or refused, never a crash.
            assertThatThrownBy(() -> d.decode(TestImages.hugePngHeader(64, 64), "c", 0, 0))
                    .satisfies(
                            e ->
                                    assertThat(((DecodeException) e).reason())
                                            .isEqualTo(DeadLetterReason.DECODE_ERROR));
        }
    }
}
