package io.bimm.model.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.bimm.model.Stage;

/** Immutable optimization settings of a {@link BimmTrainer} (SPEC 5 defaults). */
public final class TrainOptions {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private Stage stage = Stage.JOINT;
    private double baseLr = 1.5e-4;
    private int batchSize = 256;
    private long warmupSteps = 0;
    private long horizonSteps = 0;
    private double minLr = 0;
    private float weightDecay = 0.05f;
    private float beta1 = 0.9f;
    private float beta2 = 0.95f;
    private float eps = 1e-8f;
    private float clipGradNorm = 0f;

    private TrainOptions() {}

    /** Starts a builder with the SPEC 5 defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Parses options written by {@link #toJson()}. */
    public static TrainOptions fromJson(String json) {
        return GSON.fromJson(json, TrainOptions.class);
    }

    /** The options as JSON (stored in checkpoint manifests). */
    public String toJson() {
        return GSON.toJson(this);
    }

    public Stage getStage() {
        return stage;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public float getWeightDecay() {
        return weightDecay;
    }

    public float getBeta1() {
        return beta1;
    }

    public float getBeta2() {
        return beta2;
    }

    public float getEps() {
        return eps;
    }

    /** Global gradient-norm clip, 0 for none. */
    public float getClipGradNorm() {
        return clipGradNorm;
    }

    /**
     * The schedule: peak {@code blr * batch / 256}; cosine when a horizon is set, else constant.
     */
    public LrSchedule schedule() {
        double peak = LrSchedule.peakLr(baseLr, batchSize);
        return horizonSteps > 0
                ? LrSchedule.cosine(peak, minLr, warmupSteps, horizonSteps)
                : LrSchedule.constant(peak, warmupSteps);
    }

    /** Builder of {@link TrainOptions}. */
    public static final class Builder {
        private final TrainOptions o = new TrainOptions();

        public Builder optStage(Stage stage) {
            o.stage = stage;
            return this;
        }

        /** Base learning rate {@code blr} (default 1.5e-4). */
        public Builder optBaseLr(double baseLr) {
            o.baseLr = baseLr;
            return this;
        }

        /** Global batch size used to scale the learning rate. */
        public Builder optBatchSize(int batchSize) {
            o.batchSize = batchSize;
            return this;
        }

        public Builder optWarmupSteps(long warmupSteps) {
            o.warmupSteps = warmupSteps;
            return this;
        }

        /** Cosine horizon in steps; 0 keeps the rate constant after warmup. */
        public Builder optCosine(long horizonSteps, double minLr) {
            o.horizonSteps = horizonSteps;
            o.minLr = minLr;
            return this;
        }

        public Builder optWeightDecay(float weightDecay) {
            o.weightDecay = weightDecay;
            return this;
        }

        public Builder optBetas(float beta1, float beta2) {
            o.beta1 = beta1;
            o.beta2 = beta2;
            return this;
        }

        /** Clips the global gradient norm to this value; 0 disables clipping. */
        public Builder optClipGradNorm(float clipGradNorm) {
            o.clipGradNorm = clipGradNorm;
            return this;
        }

        /** Validates and returns the options. */
        public TrainOptions build() {
            if (o.batchSize <= 0 || o.baseLr < 0 || o.clipGradNorm < 0 || o.stage == null) {
                throw new IllegalArgumentException(
                        "TrainOptions need a stage, batchSize > 0, baseLr >= 0, clip >= 0.");
            }
            o.schedule();
            return fromJson(o.toJson());
        }
    }
}
