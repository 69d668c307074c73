package io.bimm.model.train;

/**
 * Learning rate per update step (SPEC 5): linear warmup from 0 over {@code warmup} steps, then
 * either cosine decay to {@code minLr} at {@code horizon} (and {@code minLr} after it) or constant.
 */
public final class LrSchedule {

    private final double peak;
    private final double minLr;
    private final long warmup;
    private final long horizon;

    private LrSchedule(double peak, double minLr, long warmup, long horizon) {
        if (peak < 0 || minLr < 0 || warmup < 0) {
            throw new IllegalArgumentException("Learning rates and warmup must be non-negative.");
        }
        if (horizon > 0 && horizon <= warmup) {
            throw new IllegalArgumentException(
                    "Cosine horizon " + horizon + " must exceed warmup " + warmup + ".");
        }
        this.peak = peak;
        this.minLr = minLr;
        this.warmup = warmup;
        this.horizon = horizon;
    }

    /** Peak lr from the base rate: {@code blr * batch / 256}. */
    public static double peakLr(double blr, int batch) {
        return blr * batch / 256.0;
    }

    /** Warmup then cosine to {@code minLr} at step {@code horizon}. */
    public static LrSchedule cosine(double peak, double minLr, long warmup, long horizon) {
        return new LrSchedule(peak, minLr, warmup, horizon);
    }

    /** Warmup then constant, for open-ended streams. */
    public static LrSchedule constant(double peak, long warmup) {
        return new LrSchedule(peak, peak, warmup, 0);
    }

    /** The learning rate of update number {@code step} (0-based). */
    public double lr(long step) {
        if (step < warmup) {
            return peak * step / warmup;
        }
        if (horizon <= 0) {
            return peak;
        }
        if (step >= horizon) {
            return minLr;
        }
        double progress = (double) (step - warmup) / (horizon - warmup);
        return minLr + (peak - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
