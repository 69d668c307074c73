package io.bimm.flink.plot;

import io.bimm.flink.train.TrainingLogEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data of {@code loss-curves.png}, built from the entries of a training log: per loss (the
 * total first, then each target) the raw values and an exponential moving average against the step,
 * and the learning rate and samples per second. Steps the NaN/Inf guard skipped are left out. Past
 * {@link #MAX_POINTS} steps, consecutive steps are averaged into that many points.
 *
 * @param losses raw loss per step, by name ({@code total}, then the targets' keys)
 * @param smoothed the EMA of each raw series (debiased, as TensorBoard's)
 * @param lr learning rate per step
 * @param samplesPerSecond samples trained per second of the trainer's cycle (step time plus data
 *     wait): restarts and pauses between steps do not count
 * @param logScale whether the loss axis is logarithmic: every loss positive and one of them falling
 *     or rising by a factor of at least {@link #LOG_SCALE_RATIO} over the run
 */
public record LossCurves(
        Map<String, Series> losses,
        Map<String, Series> smoothed,
        Series lr,
        Series samplesPerSecond,
        boolean logScale) {

    /** Most points per series. */
    public static final int MAX_POINTS = 2000;

    /** Change of one loss over the run from which the axis is logarithmic. */
    public static final double LOG_SCALE_RATIO = 10;

    /** Name of the total loss's series. */
    public static final String TOTAL = "total";

    /** Points of one curve. */
    public record Series(double[] steps, double[] values) {
        public int size() {
            return steps.length;
        }
    }

    /** The curves of {@code entries} (in log order). */
    public static LossCurves of(List<TrainingLogEntry> entries) {
        List<TrainingLogEntry> kept = new ArrayList<>();
        for (TrainingLogEntry e : entries) {
            if (!e.skipped() && Float.isFinite(e.total())) {
                kept.add(e);
            }
        }
        Set<String> names = new LinkedHashSet<>();
        names.add(TOTAL);
        kept.forEach(e -> names.addAll(e.losses().keySet()));
        Map<String, Series> losses = new LinkedHashMap<>();
        Map<String, Series> smoothed = new LinkedHashMap<>();
        boolean positive = true;
        double range = 1;
        for (String name : names) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            List<double[]> points = new ArrayList<>();
            for (TrainingLogEntry e : kept) {
                Float v = name.equals(TOTAL) ? Float.valueOf(e.total()) : e.losses().get(name);
                if (v != null && Float.isFinite(v)) {
                    points.add(new double[] {e.step(), v});
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            positive &= points.isEmpty() || min > 0;
            if (min > 0) {
                range = Math.max(range, max / min);
            }
            Series raw = downsample(points);
            losses.put(name, raw);
            smoothed.put(name, ema(raw));
        }
        List<double[]> lr = new ArrayList<>();
        List<double[]> rate = new ArrayList<>();
        TrainingLogEntry prev = null;
        for (TrainingLogEntry e : kept) {
            lr.add(new double[] {e.step(), e.lr()});
            long cycle = e.stepMillis() + e.dataWaitMillis();
            if (prev != null && e.step() > prev.step() && cycle > 0) {
                double perStep =
                        (double) (e.samplesSeen() - prev.samplesSeen()) / (e.step() - prev.step());
                rate.add(new double[] {e.step(), perStep * 1000.0 / cycle});
            }
            prev = e;
        }
        boolean log = !kept.isEmpty() && positive && range >= LOG_SCALE_RATIO;
        return new LossCurves(losses, smoothed, downsample(lr), downsample(rate), log);
    }

    /** Whether there is anything to draw. */
    public boolean isEmpty() {
        return losses.get(TOTAL) == null || losses.get(TOTAL).size() == 0;
    }

    /**
     * The EMA of {@code s} with span {@code max(1, min(50, n / 10))} points, debiased so that the
     * first points are not pulled towards zero.
     */
    static Series ema(Series s) {
        int n = s.size();
        double span = Math.max(1, Math.min(50, n / 10));
        double weight = 1 - 2 / (span + 1);
        double[] out = new double[n];
        double acc = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            acc = weight * acc + (1 - weight) * s.values()[i];
            norm = weight * norm + (1 - weight);
            out[i] = acc / norm;
        }
        return new Series(s.steps().clone(), out);
    }

    /** {@code points} (step, value) as a series of at most {@link #MAX_POINTS} bucket means. */
    static Series downsample(List<double[]> points) {
        int n = points.size();
        int buckets = Math.min(n, MAX_POINTS);
        double[] steps = new double[buckets];
        double[] values = new double[buckets];
        for (int b = 0; b < buckets; b++) {
            int from = (int) ((long) b * n / buckets);
            int to = (int) ((long) (b + 1) * n / buckets);
            double x = 0;
            double y = 0;
            for (int i = from; i < to; i++) {
                x += points.get(i)[0];
                y += points.get(i)[1];
            }
            steps[b] = x / (to - from);
            values[b] = y / (to - from);
        }
        return new Series(steps, values);
    }
}
