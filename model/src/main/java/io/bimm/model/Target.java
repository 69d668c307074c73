package io.bimm.model;

/** The six prediction targets (SPEC 2), one per branch stage, with their per-token sizes. */
public enum Target {
    VENTRAL_GABOR(0, 32, false),
    VENTRAL_CONTOUR(1, 256, true),
    VENTRAL_RGB(2, 768, true),
    DORSAL_GABOR(0, 64, false),
    DORSAL_CONTOUR(1, 512, true),
    DORSAL_MOTION(2, 1536, true);

    private final int level;
    private final int dim;
    private final boolean normalized;

    Target(int level, int dim, boolean normalized) {
        this.level = level;
        this.dim = dim;
        this.normalized = normalized;
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
