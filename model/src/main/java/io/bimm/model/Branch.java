package io.bimm.model;

import java.util.Locale;

/**
 * The two branches of BIMM (SPEC 4): the ventral branch sees one image (16x16 patches), the dorsal
 * branch a clip (2x16x16 tubelets). The names that derive from a branch (batch input keys, target
 * and loss keys, exported file names) are built here and nowhere else.
 */
public enum Branch {
    /** Images: one frame, patches of {@code 16 x 16 x 3} values. */
    VENTRAL(1),
    /** Videos: tubelets of {@code 2 x 16 x 16 x 3} values over T frames. */
    DORSAL(BimmConfig.TUBELET);

    private final int tubelet;

    Branch(int tubelet) {
        this.tubelet = tubelet;
    }

    /** Frames per token: 1 for a patch, {@link BimmConfig#TUBELET} for a tubelet. */
    public int tubelet() {
        return tubelet;
    }

    /** uint8 values per input token: 768 for an image patch, 1536 for a tubelet. */
    public int tokenValues() {
        return tubelet * BimmConfig.PATCH * BimmConfig.PATCH * 3;
    }

    /** Lower-case name as users and files spell it: {@code ventral} or {@code dorsal}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A name in this branch's namespace, e.g. {@code ventral_pixels} for {@code pixels}. */
    public String key(String suffix) {
        return key() + "_" + suffix;
    }

    /** The branch's target at encoder stage {@code level} (0, 1, 2). */
    public Target target(int level) {
        return Target.of(this, level);
    }

    /** File name of this branch's exported encoder, e.g. {@code encoder-dorsal.safetensors}. */
    public String exportFile() {
        return "encoder-" + key() + ".safetensors";
    }

    /** Parses {@code ventral} or {@code dorsal} (case-insensitive). */
    public static Branch of(String name) {
        for (Branch b : values()) {
            if (b.name().equalsIgnoreCase(name.trim())) {
                return b;
            }
        }
        throw new IllegalArgumentException(
                "Unknown branch '" + name + "', expected ventral or dorsal.");
    }
}
