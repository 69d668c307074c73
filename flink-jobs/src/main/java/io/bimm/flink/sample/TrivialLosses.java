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
 *
 * <p>Beside them it keeps the clip mean's losses ({@link #clipMeanLosses}): every masked token of a
 * sample predicted by the mean of that sample's own masked targets (normalized as the loss
 * normalizes them). That is what knowing the clip, but nothing of the masked token's own content,
 * can be worth; the gap between the trivial and the clip-mean loss is the part of a target a model
 * can learn without predicting the pattern inside each masked token.
 */
public final class TrivialLosses {

    private final Map<Target, double[]> sums = new LinkedHashMap<>();
    private final Map<Target, double[]> squares = new LinkedHashMap<>();
    private final Map<Target, double[]> normalized = new LinkedHashMap<>();
    // per target: the clip mean's summed squared error, and the number of values
    private final Map<Target, double[]> clipMean = new LinkedHashMap<>();

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

    /** Per target key, the loss of predicting each sample's masked tokens by their own mean. */
    public Map<String, Double> clipMeanLosses() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Target t : Target.values()) {
            double[] acc = clipMean.get(t);
            if (acc != null) {
                out.put(t.key(), acc[0] / acc[1]);
            }
        }
        return out;
    }

    private void gabor(Target t, float[] values) {
        int d = t.dim();
        double[][] tokens = new double[values.length / d][d];
        for (int tok = 0; tok < tokens.length; tok++) {
            for (int j = 0; j < d; j++) {
                tokens[tok][j] = values[tok * d + j];
            }
        }
        clipMean(t, tokens);
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
        double[][] tokens = new double[values.length / d][d];
        for (int tok = 0; tok < tokens.length; tok++) {
            int off = tok * d;
            Target.TokenStats stats = t.tokenStats(values, off);
            acc[0] += stats.variance() * (d - 1) / d / (stats.deviation() * stats.deviation());
            acc[1]++;
            for (int j = 0; j < d; j++) {
                tokens[tok][j] =
                        ((values[off + j] & 0xFF) / (double) t.divisor() - stats.mean())
                                / stats.deviation();
            }
        }
        clipMean(t, tokens);
    }

    /** Adds the squared error of predicting each of one sample's tokens by their mean. */
    private void clipMean(Target t, double[][] tokens) {
        if (tokens.length == 0) {
            return;
        }
        int d = t.dim();
        double[] mean = new double[d];
        for (double[] tok : tokens) {
            for (int j = 0; j < d; j++) {
                mean[j] += tok[j] / tokens.length;
            }
        }
        double[] acc = clipMean.computeIfAbsent(t, k -> new double[2]);
        for (double[] tok : tokens) {
            for (int j = 0; j < d; j++) {
                double e = tok[j] - mean[j];
                acc[0] += e * e;
            }
        }
        acc[1] += (double) tokens.length * d;
    }
}
