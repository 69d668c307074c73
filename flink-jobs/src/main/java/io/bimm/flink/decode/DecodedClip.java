package io.bimm.flink.decode;

/**
 * The sampled, scaled, cropped (and maybe flipped) frames of one clip (SPEC section 1).
 *
 * <p>{@code x[i]} is frame {@code o + i*tau} and {@code y[i]} the raw frame before it, each RGB
 * uint8 of shape (S, S, 3) channel-last, row-major.
 */
public record DecodedClip(
        int size,
        byte[][] x,
        byte[][] y,
        int frameCount,
        int offset,
        int[] xIndices,
        int[] yIndices,
        double scale,
        int cropX,
        int cropY,
        boolean flipped,
        int decodedFrames) {

    /** Number of sampled frames {@code T}. */
    public int frames() {
        return x.length;
    }
}
