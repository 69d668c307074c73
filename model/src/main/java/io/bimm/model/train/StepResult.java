package io.bimm.model.train;

import java.util.Map;

/**
 * Outcome of one training step: the update number, its learning rate, total and per-target losses
 * (keys of {@code Target#key()}), the global gradient norm before clipping, and whether the NaN/Inf
 * guard skipped the update.
 */
public record StepResult(
        long step,
        double lr,
        float total,
        Map<String, Float> losses,
        float gradNorm,
        boolean skipped) {}
