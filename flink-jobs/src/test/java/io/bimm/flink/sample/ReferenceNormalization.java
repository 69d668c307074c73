package io.bimm.flink.sample;

import io.bimm.model.Target;

/**
 * SPEC 2's per-token normalization, {@code (v / divisor - mean) / sqrt(var + 1e-6)} with the
 * unbiased variance, written out in double for tests, independently of the model's and of {@link
 * Target#tokenStats}.
 */
public final class ReferenceNormalization {

    private ReferenceNormalization() {}

    /** Every token of {@code v} ({@link Target#dim()} values each), normalized. */
    public static float[] normalized(byte[] v, Target t) {
        int dim = t.dim();
        double divisor = t.divisor();
        float[] out = new float[v.length];
        for (int tok = 0; tok < v.length / dim; tok++) {
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                mean += (v[tok * dim + i] & 0xFF) / divisor;
            }
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = (v[tok * dim + i] & 0xFF) / divisor - mean;
                var += d * d;
            }
            double std = Math.sqrt(var / (dim - 1) + 1e-6);
            for (int i = 0; i < dim; i++) {
                out[tok * dim + i] = (float) (((v[tok * dim + i] & 0xFF) / divisor - mean) / std);
            }
        }
        return out;
    }
}
