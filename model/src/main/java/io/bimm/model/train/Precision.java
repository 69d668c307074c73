package io.bimm.model.train;

import ai.djl.Device;
import java.util.Locale;

/**
 * The arithmetic of a training step ({@code train.precision}, {@code bench train --precision}).
 * Master weights, AdamW moments, checkpoints and exports are float32 in both; {@link #BF16} runs
 * the matmuls (linear layers, attention, patch embedding) in bfloat16 on weights cast once per
 * step, as PyTorch's autocast does, and LayerNorm, the target normalization and the losses in
 * float32 (docs/gpu.md).
 */
public enum Precision {
    /** Everything in float32. */
    FP32,
    /** bfloat16 matmuls on float32 master weights (mixed precision). */
    BF16;

    /** The default on {@code device}: {@link #BF16} on a GPU, {@link #FP32} on the CPU. */
    public static Precision defaultFor(Device device) {
        return device.isGpu() ? BF16 : FP32;
    }

    /**
     * Parses {@code fp32} or {@code bf16} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value
     */
    public static Precision of(String name) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "Unknown precision '" + name + "', expected fp32 or bf16.");
    }

    /** The lower-case name, as the settings spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
