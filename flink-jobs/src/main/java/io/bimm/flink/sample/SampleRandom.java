package io.bimm.flink.sample;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Reproducible randomness for one sample: a function of (run seed, clip id, draw, purpose), so that
 * crops and masks can be recomputed anywhere (SPEC section 3, last point).
 */
public final class SampleRandom {
    /** Independent streams of one sample, so that adding a draw in one does not shift another. */
    public enum Purpose {
        SAMPLING,
        VENTRAL_MASK,
        DORSAL_MASK
    }

    private SampleRandom() {}

    /**
     * A generator seeded from a 64-bit mix of the run seed, the clip id, the draw and the purpose.
     */
    public static SplittableRandom of(long runSeed, String clipId, int draw, Purpose purpose) {
        long h = mix(runSeed ^ 0x9E3779B97F4A7C15L);
        for (byte b : clipId.getBytes(StandardCharsets.UTF_8)) {
            h = mix(h ^ (b & 0xFF));
        }
        h = mix(h ^ draw);
        h = mix(h ^ (purpose.ordinal() + 1L) * 0xBF58476D1CE4E5B9L);
        return new SplittableRandom(h);
    }

    /** The SplitMix64 finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
