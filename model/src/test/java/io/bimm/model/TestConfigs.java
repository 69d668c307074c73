package io.bimm.model;

/** Small configs that keep tests fast on a 2-core CPU. */
public final class TestConfigs {

    private TestConfigs() {}

    /** Tiny preset widths (D 192, Dd 96) at S = 32, T = 4. */
    public static BimmConfig.Builder tinySmallInput() {
        return BimmConfig.builder(Preset.TINY).optImageSize(32).optFrames(4);
    }

    /** A narrower, shallower model (D 96, depth 6, splits 2-4-6) at S = 32, T = 4. */
    public static BimmConfig.Builder micro() {
        return tinySmallInput().optEmbedDim(96, 3).optDecoder(64, 2, 1, 1, 2).optSplits(2, 4, 6);
    }
}
