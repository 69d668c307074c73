package io.bimm.model;

/**
 * Which encoder blocks the ventral and dorsal branches share (SPEC 4): none, blocks {@code [0, s2)}
 * (partial, default) or all blocks. Patch embeds and stage LayerNorms are never shared.
 */
public enum WeightSharing {
    NONE,
    PARTIAL,
    ALL;

    /** Number of shared blocks for the given splits {@code (s1, s2, depth)}. */
    public int sharedBlocks(int[] splits) {
        switch (this) {
            case NONE:
                return 0;
            case PARTIAL:
                return splits[1];
            default:
                return splits[2];
        }
    }
}
