package io.bimm.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.Arrays;
import java.util.Objects;

/** Immutable configuration of a {@link Bimm} model: sizes, splits, sharing, masking and losses. */
public final class BimmConfig {

    /** Patch size in pixels (SPEC: p = 16). */
    public static final int PATCH = 16;

    /** Frames per tubelet. */
    public static final int TUBELET = 2;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private String preset;
    private int embedDim;
    private int depth;
    private int heads;
    private int decoderDim;
    private int decoderHeads;
    private int[] decoderDepths;
    private int[] splits;
    private int imageSize;
    private int frames;
    private int mlpRatio;
    private float ventralMaskRatio;
    private float dorsalMaskRatio;
    private WeightSharing sharing;
    private boolean[] targetsOn;
    private float[] targetWeights;
    private float lambda;

    private BimmConfig() {}

    /** Starts a builder from a preset's values. */
    public static Builder builder(Preset preset) {
        return new Builder(preset);
    }

    /** Parses a config written by {@link #toJson()}. */
    public static BimmConfig fromJson(String json) {
        BimmConfig c = GSON.fromJson(json, BimmConfig.class);
        c.validate();
        return c;
    }

    /** The full config as JSON (stored in checkpoint manifests and export config.json). */
    public String toJson() {
        return GSON.toJson(this);
    }

    public String getPreset() {
        return preset;
    }

    public int getEmbedDim() {
        return embedDim;
    }

    public int getDepth() {
        return depth;
    }

    public int getHeads() {
        return heads;
    }

    public int getDecoderDim() {
        return decoderDim;
    }

    public int getDecoderHeads() {
        return decoderHeads;
    }

    /** Decoder depth for stage level 0, 1, 2. */
    public int getDecoderDepth(int level) {
        return decoderDepths[level];
    }

    /** Stage splits {@code (s1, s2, depth)}. */
    public int[] getSplits() {
        return splits.clone();
    }

    public int getImageSize() {
        return imageSize;
    }

    public int getFrames() {
        return frames;
    }

    public int getMlpRatio() {
        return mlpRatio;
    }

    public float getVentralMaskRatio() {
        return ventralMaskRatio;
    }

    public float getDorsalMaskRatio() {
        return dorsalMaskRatio;
    }

    public WeightSharing getSharing() {
        return sharing;
    }

    /** Number of encoder blocks shared by both branches. */
    public int getSharedBlocks() {
        return sharing.sharedBlocks(splits);
    }

    public boolean isTargetOn(Target t) {
        return targetsOn[t.ordinal()];
    }

    /** Loss weight of a stage level: w1 (Gabor), w2 (contour), w3 (RGB / motion). */
    public float getWeight(int level) {
        return targetWeights[level];
    }

    public float getLambda() {
        return lambda;
    }

    /** Patches per side, {@code g = S / 16}. */
    public int getGrid() {
        return imageSize / PATCH;
    }

    /** Image tokens {@code Ni = g^2}. */
    public int getImageTokens() {
        return getGrid() * getGrid();
    }

    /** Video tokens {@code Nv = (T/2) g^2}. */
    public int getVideoTokens() {
        return frames / TUBELET * getImageTokens();
    }

    /** Input tokens of a branch's encoder: {@link #getImageTokens} or {@link #getVideoTokens}. */
    public int getTokens(Branch branch) {
        return branch == Branch.VENTRAL ? getImageTokens() : getVideoTokens();
    }

    /** Masked ventral tokens {@code Mv = floor(rv Ni)}. */
    public int getVentralMasked() {
        return (int) Math.floor(ventralMaskRatio * getImageTokens());
    }

    /** Visible ventral tokens {@code Kv = Ni - Mv}. */
    public int getVentralVisible() {
        return getImageTokens() - getVentralMasked();
    }

    /** Masked dorsal tokens {@code Md = (T/2) floor(rd g^2)} (tube mask). */
    public int getDorsalMasked() {
        return frames / TUBELET * (int) Math.floor(dorsalMaskRatio * getImageTokens());
    }

    /** Visible dorsal tokens {@code Kd = Nv - Md}. */
    public int getDorsalVisible() {
        return getVideoTokens() - getDorsalMasked();
    }

    private void validate() {
        check(embedDim > 0 && heads > 0 && embedDim % heads == 0, "embedDim must divide by heads");
        check(
                decoderDim > 0 && decoderHeads > 0 && decoderDim % decoderHeads == 0,
                "decoderDim must divide by decoderHeads");
        check(
                splits != null
                        && splits.length == 3
                        && 0 < splits[0]
                        && splits[0] <= splits[1]
                        && splits[1] <= splits[2]
                        && splits[2] == depth,
                "splits must be 0 < s1 <= s2 <= depth = "
                        + depth
                        + ", got "
                        + Arrays.toString(splits));
        check(decoderDepths != null && decoderDepths.length == 3, "decoderDepths needs 3 values");
        check(imageSize > 0 && imageSize % PATCH == 0, "imageSize must be a multiple of 16");
        check(frames > 0 && frames % TUBELET == 0, "frames must be a positive even number");
        check(ventralMaskRatio >= 0 && ventralMaskRatio < 1, "ventralMaskRatio must be in [0,1)");
        check(dorsalMaskRatio >= 0 && dorsalMaskRatio < 1, "dorsalMaskRatio must be in [0,1)");
        Objects.requireNonNull(sharing, "sharing is required");
        check(targetsOn != null && targetsOn.length == 6, "targetsOn needs 6 values");
        check(targetWeights != null && targetWeights.length == 3, "targetWeights needs 3 values");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("Invalid BIMM config: " + message);
        }
    }

    /** Builder of {@link BimmConfig}; every value defaults to the preset's. */
    public static final class Builder {
        private final BimmConfig c = new BimmConfig();

        private Builder(Preset p) {
            c.preset = p.name().toLowerCase(java.util.Locale.ROOT);
            c.embedDim = p.embedDim;
            c.depth = p.depth;
            c.heads = p.heads;
            c.decoderDim = p.decoderDim;
            c.decoderHeads = p.decoderHeads;
            c.decoderDepths = p.decoderDepths.clone();
            c.splits = p.splits.clone();
            c.imageSize = p.imageSize;
            c.frames = p.frames;
            c.mlpRatio = 4;
            c.ventralMaskRatio = 0.75f;
            c.dorsalMaskRatio = 0.9f;
            c.sharing = WeightSharing.PARTIAL;
            c.targetsOn = new boolean[] {true, true, true, true, true, true};
            c.targetWeights = new float[] {1f, 1f, 1f};
            c.lambda = 1f;
        }

        public Builder optEmbedDim(int embedDim, int heads) {
            c.embedDim = embedDim;
            c.heads = heads;
            return this;
        }

        public Builder optDecoder(int decoderDim, int decoderHeads, int... depths) {
            c.decoderDim = decoderDim;
            c.decoderHeads = decoderHeads;
            c.decoderDepths = depths.clone();
            return this;
        }

        /** Sets the splits {@code (s1, s2, depth)}; also sets the depth. */
        public Builder optSplits(int s1, int s2, int depth) {
            c.splits = new int[] {s1, s2, depth};
            c.depth = depth;
            return this;
        }

        public Builder optImageSize(int imageSize) {
            c.imageSize = imageSize;
            return this;
        }

        public Builder optFrames(int frames) {
            c.frames = frames;
            return this;
        }

        public Builder optMaskRatios(float ventral, float dorsal) {
            c.ventralMaskRatio = ventral;
            c.dorsalMaskRatio = dorsal;
            return this;
        }

        public Builder optSharing(WeightSharing sharing) {
            c.sharing = sharing;
            return this;
        }

        public Builder optTarget(Target target, boolean on) {
            c.targetsOn[target.ordinal()] = on;
            return this;
        }

        /** Loss weights w1 (Gabor), w2 (contour), w3 (RGB / motion). */
        public Builder optWeights(float w1, float w2, float w3) {
            c.targetWeights = new float[] {w1, w2, w3};
            return this;
        }

        public Builder optLambda(float lambda) {
            c.lambda = lambda;
            return this;
        }

        /** Validates and returns the config. */
        public BimmConfig build() {
            c.validate();
            BimmConfig out = fromJson(c.toJson());
            return out;
        }
    }
}
