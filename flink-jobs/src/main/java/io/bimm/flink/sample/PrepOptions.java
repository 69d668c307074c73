package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.masking.MaskGenerator;
import java.io.Serializable;

/**
 * Everything the per-clip preprocessing needs: sampling, limits, mask ratios and the run seed. From
 * a Flink configuration: {@link PrepConfigOptions#read}.
 */
public record PrepOptions(
        DecodeOptions decode, double ventralMaskRatio, double dorsalMaskRatio, long seed)
        implements Serializable {
    public PrepOptions {
        MaskGenerator.maskedCount(ventralMaskRatio, 1);
        MaskGenerator.maskedCount(dorsalMaskRatio, 1);
    }

    /** SPEC section 3 defaults: ventral 0.75, dorsal 0.9. */
    public static PrepOptions of(DecodeOptions decode, long seed) {
        return new PrepOptions(decode, 0.75, 0.9, seed);
    }
}
