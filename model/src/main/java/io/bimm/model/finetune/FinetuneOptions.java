package io.bimm.model.finetune;

/**
 * Settings of a finetuning or linear-probe run. Defaults follow the paper's Table 9, UCF101 column:
 * AdamW betas (0.9, 0.999), weight decay 0.05, base lr 5e-4 ({@code lr = blr * batch / 256}),
 * layer-wise lr decay 0.7, label smoothing 0.1, warmup then cosine decay. A linear probe trains the
 * head alone (no layer decay; its defaults: base lr 0.1, no weight decay, as MAE's probe).
 */
public final class FinetuneOptions {

    private boolean linearProbe;
    private int batchSize = 16;
    private double baseLr = 5e-4;
    private double minLr = 1e-6;
    private double weightDecay = 0.05;
    private double layerDecay = 0.7;
    private double labelSmoothing = 0.1;
    private float beta1 = 0.9f;
    private float beta2 = 0.999f;
    private long warmupSteps;
    private long totalSteps = 1;

    private FinetuneOptions() {}

    /** Full finetuning with the Table 9 (UCF101) defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A linear probe: head only, base lr 0.1, weight decay 0. */
    public static Builder linearProbe() {
        Builder b = new Builder();
        b.o.linearProbe = true;
        b.o.baseLr = 0.1;
        b.o.weightDecay = 0;
        return b;
    }

    public boolean isLinearProbe() {
        return linearProbe;
    }

    public int getBatchSize() {
        return batchSize;
    }

    /** Peak learning rate {@code blr * batch / 256}. */
    public double getPeakLr() {
        return baseLr * batchSize / 256.0;
    }

    public double getBaseLr() {
        return baseLr;
    }

    public double getMinLr() {
        return minLr;
    }

    public double getWeightDecay() {
        return weightDecay;
    }

    public double getLayerDecay() {
        return layerDecay;
    }

    public double getLabelSmoothing() {
        return labelSmoothing;
    }

    public float getBeta1() {
        return beta1;
    }

    public float getBeta2() {
        return beta2;
    }

    public long getWarmupSteps() {
        return warmupSteps;
    }

    public long getTotalSteps() {
        return totalSteps;
    }

    /** Builder of {@link FinetuneOptions}. */
    public static final class Builder {
        private final FinetuneOptions o = new FinetuneOptions();

        public Builder optBatchSize(int batchSize) {
            o.batchSize = batchSize;
            return this;
        }

        public Builder optBaseLr(double baseLr) {
            o.baseLr = baseLr;
            return this;
        }

        public Builder optMinLr(double minLr) {
            o.minLr = minLr;
            return this;
        }

        public Builder optWeightDecay(double weightDecay) {
            o.weightDecay = weightDecay;
            return this;
        }

        public Builder optLayerDecay(double layerDecay) {
            o.layerDecay = layerDecay;
            return this;
        }

        public Builder optLabelSmoothing(double labelSmoothing) {
            o.labelSmoothing = labelSmoothing;
            return this;
        }

        /** Warmup and total number of optimizer steps of the cosine schedule. */
        public Builder setSchedule(long warmupSteps, long totalSteps) {
            o.warmupSteps = warmupSteps;
            o.totalSteps = totalSteps;
            return this;
        }

        /** Checks the values. */
        public FinetuneOptions build() {
            if (o.batchSize <= 0 || o.totalSteps <= 0 || o.warmupSteps < 0) {
                throw new IllegalArgumentException(
                        "Finetuning needs batch size > 0, total steps > 0 and warmup >= 0.");
            }
            if (o.warmupSteps >= o.totalSteps) {
                o.warmupSteps = o.totalSteps - 1;
            }
            if (o.labelSmoothing < 0 || o.labelSmoothing >= 1) {
                throw new IllegalArgumentException(
                        "Label smoothing must be in [0, 1), got " + o.labelSmoothing);
            }
            if (o.layerDecay <= 0 || o.layerDecay > 1) {
                throw new IllegalArgumentException(
                        "Layer decay must be in (0, 1], got " + o.layerDecay);
            }
            if (o.baseLr <= 0 || o.minLr < 0 || o.weightDecay < 0) {
                throw new IllegalArgumentException("Learning rates and weight decay must be >= 0.");
            }
            return o;
        }
    }
}
