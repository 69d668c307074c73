package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The fixed 1-D sinusoid position table of SPEC 4 over the flattened token index: {@code angle =
 * pos / 10000^(2 floor(j/2) / d)}, sin on even {@code j}, cos on odd {@code j}.
 */
public final class SinusoidTable {

    private SinusoidTable() {}

    /** The table as a row-major {@code (n, d)} float array. */
    public static float[] values(int n, int d) {
        float[] out = new float[n * d];
        for (int pos = 0; pos < n; pos++) {
            for (int j = 0; j < d; j++) {
                double angle = pos / Math.pow(10000.0, 2.0 * (j / 2) / d);
                out[pos * d + j] = (float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return out;
    }

    /** The table as a constant {@code (n, d)} NDArray (no gradient). */
    public static NDArray create(NDManager manager, int n, int d) {
        return manager.create(values(n, d), new ai.djl.ndarray.types.Shape(n, d));
    }
}
