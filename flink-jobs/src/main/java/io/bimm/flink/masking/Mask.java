package io.bimm.flink.masking;

/** Visible and masked token indices of one sample, both ascending (SPEC section 3). */
public record Mask(int[] visible, int[] masked) {
    /** Tokens in total. */
    public int tokens() {
        return visible.length + masked.length;
    }

    /** A boolean map over all tokens, true = masked (the CLI's {@code *_mask.npy}). */
    public boolean[] toBooleans() {
        boolean[] b = new boolean[tokens()];
        for (int i : masked) {
            b[i] = true;
        }
        return b;
    }
}
