package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.masking.MaskGenerator;
import java.io.Serializable;

/**
 * Everything the per-clip preprocessing needs: sampling, limits, mask ratios and the run seed. From
 * a Flink configuration: {@link PrepConfigOptions#read}.
 */
public record PrepOptions(
        DecodeOptions decode,
        double ventralMaskRatio,
        double dorsalMaskRatio,
        long seed,
        int repeatedSampling)
        implements Serializable {
    /** Largest {@link #repeatedSampling}: a record's samples and frames are in memory at once. */
    public static final int MAX_REPEATED_SAMPLING = 16;

    public PrepOptions {
        MaskGenerator.maskedCount(ventralMaskRatio, 1);
        MaskGenerator.maskedCount(dorsalMaskRatio, 1);
        if (repeatedSampling < 1 || repeatedSampling > MAX_REPEATED_SAMPLING) {
            throw new IllegalArgumentException(
                    "prep.repeated-sampling must be in [1, "
                            + MAX_REPEATED_SAMPLING
                            + "], got "
                            + repeatedSampling
                            + ".");
        }
    }

    /** One sample per record (no repeated sampling). */
    public PrepOptions(
            DecodeOptions decode, double ventralMaskRatio, double dorsalMaskRatio, long seed) {
        this(decode, ventralMaskRatio, dorsalMaskRatio, seed, 1);
    }

    /** The same options with {@code r} samples per decoded record (SPEC 1, repeated sampling). */
    public PrepOptions withRepeatedSampling(int r) {
        return new PrepOptions(decode, ventralMaskRatio, dorsalMaskRatio, seed, r);
    }

    /**
     * The draw of sample {@code r} of a record read with draw {@code recordDraw}: {@code recordDraw
     * * R + r}, so that with R = 1 it is the record's draw and every (clip, draw) of a run names
     * one sample.
     */
    public int sampleDraw(int recordDraw, int r) {
        return Math.toIntExact((long) recordDraw * repeatedSampling + r);
    }

    /** SPEC section 3 defaults: ventral 0.75, dorsal 0.9. */
    public static PrepOptions of(DecodeOptions decode, long seed) {
        return new PrepOptions(decode, 0.75, 0.9, seed);
    }
}
