package io.bimm.model.bench;

import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Stage;
import io.bimm.model.Target;

/**
 * Analytic FLOPs of one training step (docs/gpu.md), counting matmuls only, 2 FLOPs per
 * multiply-add, and 3x the forward for forward plus backward (the backward computes two matmuls per
 * forward matmul), as MFU is usually reported (PaLM, appendix B).
 *
 * <p>Per sample and branch, with K visible and M masked tokens, encoder width D, MLP ratio r,
 * decoder width Dd, P values per patch or tubelet and C values per target token:
 *
 * <ul>
 *   <li>patch embedding {@code 2 K P D};
 *   <li>each encoder block on n = K tokens, each decoder block on n = K + M tokens of width d:
 *       {@code (8 + 4r) n d^2} for qkv, projection and MLP plus {@code 4 n^2 d} for {@code QK^T}
 *       and {@code AV};
 *   <li>each switched-on target's decoder: {@code 2 K D Dd} embedding, its blocks, {@code 2 M Dd C}
 *       prediction.
 * </ul>
 */
public final class FlopCount {

    private FlopCount() {}

    /** Forward matmul FLOPs of one transformer block on {@code n} tokens of width {@code d}. */
    public static double block(long n, long d, int mlpRatio) {
        return (8.0 + 4.0 * mlpRatio) * n * d * d + 4.0 * n * n * d;
    }

    /** Forward matmul FLOPs of one sample of {@code branch}. */
    public static double forwardPerSample(BimmConfig c, Branch branch) {
        long k = branch == Branch.VENTRAL ? c.getVentralVisible() : c.getDorsalVisible();
        long m = branch == Branch.VENTRAL ? c.getVentralMasked() : c.getDorsalMasked();
        long d = c.getEmbedDim();
        long dd = c.getDecoderDim();
        long p = (branch == Branch.VENTRAL ? 1L : 2L) * 16 * 16 * 3;
        double f = 2.0 * k * p * d + c.getDepth() * block(k, d, c.getMlpRatio());
        for (int level = 0; level < 3; level++) {
            Target t = branch.target(level);
            if (c.isTargetOn(t)) {
                f += 2.0 * k * d * dd;
                f += c.getDecoderDepth(level) * block(k + m, dd, c.getMlpRatio());
                f += 2.0 * m * dd * t.dim();
            }
        }
        return f;
    }

    /** FLOPs of one training step (forward and backward) on {@code batch} samples. */
    public static double step(BimmConfig c, Stage stage, int batch) {
        double f = 0;
        for (Branch b : Branch.values()) {
            if (stage.uses(b)) {
                f += forwardPerSample(c, b);
            }
        }
        return 3.0 * batch * f;
    }
}
