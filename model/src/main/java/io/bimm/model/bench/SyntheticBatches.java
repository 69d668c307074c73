package io.bimm.model.bench;

import io.bimm.model.BimmConfig;
import io.bimm.model.train.MaskedBatch;
import java.util.Arrays;
import java.util.Random;

/**
 * Random {@link MaskedBatch}es of a config's true shapes and mask ratios: random ventral masks,
 * tube dorsal masks (SPEC 3), uniform pixels and targets.
 */
public final class SyntheticBatches {

    private final BimmConfig config;
    private final Random random;

    /** Creates a generator seeded with {@code seed}. */
    public SyntheticBatches(BimmConfig config, long seed) {
        this.config = config;
        this.random = new Random(seed);
    }

    /** A batch of {@code b} samples with both ventral and dorsal parts. */
    public MaskedBatch next(int b) {
        MaskedBatch.Builder builder = MaskedBatch.builder(config);
        int kv = config.getVentralVisible();
        int mv = config.getVentralMasked();
        int kd = config.getDorsalVisible();
        int md = config.getDorsalMasked();
        for (int i = 0; i < b; i++) {
            int[][] v = split(randomMask(config.getImageTokens(), mv));
            builder.addVentral(
                    v[0],
                    v[1],
                    bytes(kv * 768, 256),
                    floats(mv * 32),
                    bytes(mv * 256, 2),
                    bytes(mv * 768, 256));
            int[][] d = split(tubeMask());
            builder.addDorsal(
                    d[0],
                    d[1],
                    bytes(kd * 1536, 256),
                    floats(md * 64),
                    bytes(md * 512, 2),
                    bytes(md * 1536, 256));
        }
        return builder.build();
    }

    private boolean[] randomMask(int n, int masked) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        boolean[] mask = new boolean[n];
        for (int i = 0; i < masked; i++) {
            mask[perm[i]] = true;
        }
        return mask;
    }

    private boolean[] tubeMask() {
        int hw = config.getImageTokens();
        int slots = config.getFrames() / BimmConfig.TUBELET;
        int perSlot = config.getDorsalMasked() / slots;
        boolean[] spatial = randomMask(hw, perSlot);
        boolean[] mask = new boolean[slots * hw];
        for (int t = 0; t < slots; t++) {
            System.arraycopy(spatial, 0, mask, t * hw, hw);
        }
        return mask;
    }

    private static int[][] split(boolean[] mask) {
        int[] vis = new int[mask.length];
        int[] msk = new int[mask.length];
        int nv = 0;
        int nm = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                msk[nm++] = i;
            } else {
                vis[nv++] = i;
            }
        }
        return new int[][] {Arrays.copyOf(vis, nv), Arrays.copyOf(msk, nm)};
    }

    private byte[] bytes(int n, int bound) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) random.nextInt(bound);
        }
        return out;
    }

    private float[] floats(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextFloat();
        }
        return out;
    }
}
