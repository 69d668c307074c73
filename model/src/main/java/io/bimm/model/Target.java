package io.bimm.model;

import java.util.Locale;

/** The six prediction targets (SPEC 2), one per branch stage, with their per-token sizes. */
public enum Target {
    VENTRAL_GABOR(Branch.VENTRAL, 0, 32, false, 1),
    VENTRAL_CONTOUR(Branch.VENTRAL, 1, 256, true, 1),
    VENTRAL_RGB(Branch.VENTRAL, 2, 768, true, 255),
    DORSAL_GABOR(Branch.DORSAL, 0, 64, false, 1),
    DORSAL_CONTOUR(Branch.DORSAL, 1, 512, true, 1),
    DORSAL_MOTION(Branch.DORSAL, 2, 1536, true, 255);

    private final Branch branch;
    private final int level;
    private final int dim;
    private final boolean normalized;
    private final float divisor;

    Target(Branch branch, int level, int dim, boolean normalized, float divisor) {
        this.branch = branch;
        this.level = level;
        this.dim = dim;
        this.normalized = normalized;
        this.divisor = divisor;
    }

    /** Encoder stage (0, 1, 2) whose output this target's decoder reads. */
    public int level() {
        return level;
    }

    /** Values per masked token. */
    public int dim() {
        return dim;
    }

    /** Whether the target is normalized per token on device (contour, RGB, motion). */
    public boolean normalized() {
        return normalized;
    }

    /**
     * What the values that travel are divided by before the per-token normalization: 255 for RGB
     * and motion (SPEC 2 defines them {@code / 255}; the {@code 1e-6} of the normalization is in
     * that scale, so a flat patch with a few grey levels of noise stays near zero instead of
     * becoming unit-variance noise), 1 for contour ({0, 1}) and Gabor.
     */
    public float divisor() {
        return divisor;
    }

    /**
     * SPEC 2's per-token statistics on the CPU, as {@link Bimm#normalizePerToken} uses them on the
     * device: of the token's {@link #dim()} values from {@code off}, each divided by {@link
     * #divisor()}, their statistics.
     */
    public TokenStats tokenStats(byte[] values, int off) {
        double mean = 0;
        for (int i = 0; i < dim; i++) {
            mean += (values[off + i] & 0xFF) / (double) divisor;
        }
        mean /= dim;
        double centered = 0;
        for (int i = 0; i < dim; i++) {
            double d = (values[off + i] & 0xFF) / (double) divisor - mean;
            centered += d * d;
        }
        double var = centered / (dim - 1);
        return new TokenStats(mean, var, Math.sqrt(var + 1e-6));
    }

    /** A token's mean, unbiased variance and normalizing deviation {@code sqrt(var + 1e-6)}. */
    public record TokenStats(double mean, double variance, double deviation) {}

    /** The branch whose decoder predicts this target. */
    public Branch branch() {
        return branch;
    }

    /**
     * Key used in batches, logs, manifests and loss maps, in its branch's namespace, e.g. {@code
     * ventral_gabor}.
     */
    public String key() {
        return branch.key(name().substring(name().indexOf('_') + 1).toLowerCase(Locale.ROOT));
    }

    /** The target of a branch at a stage level (0, 1, 2). */
    public static Target of(Branch branch, int level) {
        if (level < 0 || level > 2) {
            throw new IllegalArgumentException("Stage level must be 0, 1 or 2, not " + level);
        }
        return values()[branch.ordinal() * 3 + level];
    }
}
