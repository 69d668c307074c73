package io.bimm.flink.sample;

import io.bimm.model.Target;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The losses of the best predictions that ignore what the encoder saw, over a set of samples: zero
 * for the targets normalized per token (contour, RGB, motion; a token's normalized values have mean
 * zero, so zero is the best guess without its content), and the mean vector of all masked tokens
 * for Gabor. A model whose loss on the same samples is not clearly below these has learned nothing
 * about the clips beyond their averages; {@code bimm eval} prints both.
 */
public final class TrivialLosses {

    private final Map<Target, double[]> sums = new LinkedHashMap<>();
    private final Map<Target, double[]> squares = new LinkedHashMap<>();
    private final Map<Target, double[]> normalized = new LinkedHashMap<>();

    /** Adds the masked targets of one sample (of whichever branches it has). */
    public TrivialLosses add(TrainingSample s) {
        if (s.ventralGabor != null) {
            gabor(Target.VENTRAL_GABOR, s.ventralGabor);
            normalized(Target.VENTRAL_CONTOUR, s.ventralContour);
            normalized(Target.VENTRAL_RGB, s.ventralRgb);
        }
        if (s.dorsalGabor != null) {
            gabor(Target.DORSAL_GABOR, s.dorsalGabor);
            normalized(Target.DORSAL_CONTOUR, s.dorsalContour);
            normalized(Target.DORSAL_MOTION, s.dorsalMotion);
        }
        return this;
    }

    /** Per target key (as the training losses are keyed), the trivial prediction's loss. */
    public Map<String, Double> losses() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Target t : Target.values()) {
            if (sums.containsKey(t)) {
                double[] sum = sums.get(t);
                double[] sq = squares.get(t);
                double n = sum[t.dim()];
                double var = 0;
                for (int j = 0; j < t.dim(); j++) {
                    double mean = sum[j] / n;
                    var += sq[j] / n - mean * mean;
                }
                out.put(t.key(), var / t.dim());
            } else if (normalized.containsKey(t)) {
                double[] acc = normalized.get(t);
                out.put(t.key(), acc[0] / acc[1]);
            }
        }
        return out;
    }

    private void gabor(Target t, float[] values) {
        int d = t.dim();
        double[] sum = sums.computeIfAbsent(t, k -> new double[d + 1]);
        double[] sq = squares.computeIfAbsent(t, k -> new double[d]);
        for (int tok = 0; tok < values.length / d; tok++) {
            for (int j = 0; j < d; j++) {
                double v = values[tok * d + j];
                sum[j] += v;
                sq[j] += v * v;
            }
            sum[d]++;
        }
    }

    /**
     * Mean square of each token's normalized values, {@code (v - mean) / sqrt(var + 1e-6)} as the
     * loss computes them ({@link Target#tokenStats}): {@code (dim - 1) / dim * var / (var + 1e-6)}.
     */
    private void normalized(Target t, byte[] values) {
        int d = t.dim();
        double[] acc = normalized.computeIfAbsent(t, k -> new double[2]);
        for (int off = 0; off + d <= values.length; off += d) {
            Target.TokenStats stats = t.tokenStats(values, off);
            acc[0] += stats.variance() * (d - 1) / d / (stats.deviation() * stats.deviation());
            acc[1]++;
        }
    }
}
