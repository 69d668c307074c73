package io.bimm.model.finetune;

/**
 * Cuts whole frames into the token layout the encoders take (SPEC 4, tokens {@code (t, h, w)}
 * row-major): image patches {@code [N][16][16][3]} or tubelets {@code [N][2][16][16][3]}, from RGB
 * uint8 frames of shape {@code (S, S, 3)}.
 */
public final class Patchify {

    private static final int P = 16;

    private Patchify() {}

    /** All {@code (S/16)^2} patches of one frame: {@code [N][16][16][3]}. */
    public static byte[] patches(byte[] frame, int s) {
        int g = s / P;
        byte[] out = new byte[g * g * P * P * 3];
        for (int n = 0; n < g * g; n++) {
            copyPatch(frame, s, n / g, n % g, out, n * P * P * 3);
        }
        return out;
    }

    /** All {@code (T/2) (S/16)^2} tubelets of {@code T} frames: {@code [N][2][16][16][3]}. */
    public static byte[] tubelets(byte[][] frames, int s) {
        int g = s / P;
        int gg = g * g;
        int n = frames.length / 2 * gg;
        int pp = P * P * 3;
        byte[] out = new byte[n * 2 * pp];
        for (int k = 0; k < n; k++) {
            int t = k / gg;
            int h = (k % gg) / g;
            int w = k % g;
            for (int f = 0; f < 2; f++) {
                copyPatch(frames[2 * t + f], s, h, w, out, (k * 2 + f) * pp);
            }
        }
        return out;
    }

    private static void copyPatch(byte[] img, int s, int h, int w, byte[] dst, int off) {
        int row = P * 3;
        for (int y = 0; y < P; y++) {
            System.arraycopy(img, ((h * P + y) * s + w * P) * 3, dst, off + y * row, row);
        }
    }
}
