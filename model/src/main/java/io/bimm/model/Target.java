package io.bimm.model;

/** The six prediction targets (SPEC 2), one per branch stage, with their per-token sizes. */
public enum Target {
    VENTRAL_GABOR(0, 32, false, 1),
    VENTRAL_CONTOUR(1, 256, true, 1),
    VENTRAL_RGB(2, 768, true, 255),
    DORSAL_GABOR(0, 64, false, 1),
    DORSAL_CONTOUR(1, 512, true, 1),
    DORSAL_MOTION(2, 1536, true, 255);

    private final int level;
    private final int dim;
    private final boolean normalized;
    private final float divisor;

    Target(int level, int dim, boolean normalized, float divisor) {
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

    /** Whether the target belongs to the dorsal branch. */
    public boolean dorsal() {
        return ordinal() >= 3;
    }

    /** Lower-case key used in logs, manifests and loss maps, e.g. {@code ventral_gabor}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The target of a branch at a stage level. */
    public static Target of(boolean dorsal, int level) {
        return values()[(dorsal ? 3 : 0) + level];
    }
}
