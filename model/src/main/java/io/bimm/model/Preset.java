package io.bimm.model;

/** Named model sizes of SPEC 4. */
public enum Preset {
    TINY(192, 12, 3, 96, 3, new int[] {1, 1, 2}, new int[] {2, 4, 12}, 112, 8),
    SMALL(384, 12, 6, 192, 3, new int[] {1, 2, 4}, new int[] {2, 4, 12}, 224, 16),
    BASE(768, 12, 12, 384, 6, new int[] {1, 2, 4}, new int[] {2, 4, 12}, 224, 16),
    LARGE(1024, 24, 16, 512, 8, new int[] {1, 2, 4}, new int[] {4, 8, 24}, 224, 16);

    final int embedDim;
    final int depth;
    final int heads;
    final int decoderDim;
    final int decoderHeads;
    final int[] decoderDepths;
    final int[] splits;
    final int imageSize;
    final int frames;

    Preset(
            int embedDim,
            int depth,
            int heads,
            int decoderDim,
            int decoderHeads,
            int[] decoderDepths,
            int[] splits,
            int imageSize,
            int frames) {
        this.embedDim = embedDim;
        this.depth = depth;
        this.heads = heads;
        this.decoderDim = decoderDim;
        this.decoderHeads = decoderHeads;
        this.decoderDepths = decoderDepths;
        this.splits = splits;
        this.imageSize = imageSize;
        this.frames = frames;
    }

    /** Parses {@code tiny}, {@code small}, {@code base} or {@code large} (case-insensitive). */
    public static Preset of(String name) {
        for (Preset p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "Unknown preset '" + name + "', expected one of tiny, small, base, large.");
    }
}
