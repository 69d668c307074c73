package io.bimm.flink.masking;

import java.util.SplittableRandom;

/**
 * Ventral random masking and dorsal tube masking (SPEC section 3; VideoMAE's {@code
 * RandomMaskingGenerator} and {@code TubeMaskingGenerator}).
 */
public final class MaskGenerator {
    private MaskGenerator() {}

    /** {@code floor(ratio * n)}, robust to the ratio's binary rounding (0.29 * 100 = 29). */
    public static int maskedCount(double ratio, int n) {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("Mask ratio must be in [0, 1): " + ratio);
        }
        return (int) Math.floor(ratio * n + 1e-9);
    }

    /**
     * Random masking of {@code n} image tokens: {@code floor(ratio * n)} masked, uniform without
     * replacement.
     */
    public static Mask random(int n, double ratio, SplittableRandom rnd) {
        boolean[] masked = choose(n, maskedCount(ratio, n), rnd);
        return toMask(masked);
    }

    /**
     * Tube masking of {@code slots} time slots of {@code gridTokens} spatial positions each: the
     * same {@code floor(ratio * gridTokens)} positions masked at every slot; token index {@code t *
     * gridTokens + position}.
     */
    public static Mask tube(int slots, int gridTokens, double ratio, SplittableRandom rnd) {
        boolean[] spatial = choose(gridTokens, maskedCount(ratio, gridTokens), rnd);
        boolean[] all = new boolean[slots * gridTokens];
        for (int t = 0; t < slots; t++) {
            System.arraycopy(spatial, 0, all, t * gridTokens, gridTokens);
        }
        return toMask(all);
    }

    /** k of n chosen uniformly without replacement (partial Fisher-Yates). */
    private static boolean[] choose(int n, int k, SplittableRandom rnd) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        boolean[] chosen = new boolean[n];
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
            chosen[perm[i]] = true;
        }
        return chosen;
    }

    private static Mask toMask(boolean[] masked) {
        int m = 0;
        for (boolean b : masked) {
            if (b) {
                m++;
            }
        }
        int[] vis = new int[masked.length - m];
        int[] msk = new int[m];
        int v = 0;
        int k = 0;
        for (int i = 0; i < masked.length; i++) {
            if (masked[i]) {
                msk[k++] = i;
            } else {
                vis[v++] = i;
            }
        }
        return new Mask(vis, msk);
    }
}
