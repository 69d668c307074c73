package io.bimm.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * B masked samples in the batch contract of the training sink, as flat Java arrays (sample-major,
 * each sample laid out as documented on {@link Builder#addVentral} and {@link Builder#addDorsal}).
 */
public final class MaskedBatch {

    /** NDList names of the arrays produced by {@link #toNDList}. */
    public static final String V_VISIBLE = Branch.VENTRAL.key("visible_idx"),
            V_MASKED = Branch.VENTRAL.key("masked_idx"),
            V_PIXELS = Branch.VENTRAL.key("pixels"),
            V_GABOR = Target.VENTRAL_GABOR.key(),
            V_CONTOUR = Target.VENTRAL_CONTOUR.key(),
            V_RGB = Target.VENTRAL_RGB.key(),
            D_VISIBLE = Branch.DORSAL.key("visible_idx"),
            D_MASKED = Branch.DORSAL.key("masked_idx"),
            D_PIXELS = Branch.DORSAL.key("pixels"),
            D_GABOR = Target.DORSAL_GABOR.key(),
            D_CONTOUR = Target.DORSAL_CONTOUR.key(),
            D_MOTION = Target.DORSAL_MOTION.key();

    private static final int PATCH_PIXELS = 16 * 16 * 3;

    private final int batchSize;
    private final int kv;
    private final int mv;
    private final int kd;
    private final int md;
    private final boolean hasVentral;
    private final boolean hasDorsal;
    private final int[] ventralVisibleIdx;
    private final int[] ventralMaskedIdx;
    private final byte[] ventralPixels;
    private final float[] ventralGabor;
    private final byte[] ventralContour;
    private final byte[] ventralRgb;
    private final int[] dorsalVisibleIdx;
    private final int[] dorsalMaskedIdx;
    private final byte[] dorsalPixels;
    private final float[] dorsalGabor;
    private final byte[] dorsalContour;
    private final byte[] dorsalMotion;

    private MaskedBatch(Builder b) {
        batchSize = Math.max(b.ventralCount, b.dorsalCount);
        kv = b.kv;
        mv = b.mv;
        kd = b.kd;
        md = b.md;
        hasVentral = b.ventralCount > 0;
        hasDorsal = b.dorsalCount > 0;
        ventralVisibleIdx = b.vVis.toInts();
        ventralMaskedIdx = b.vMask.toInts();
        ventralPixels = b.vPix.toBytes();
        ventralGabor = b.vGabor.toFloats();
        ventralContour = b.vContour.toBytes();
        ventralRgb = b.vRgb.toBytes();
        dorsalVisibleIdx = b.dVis.toInts();
        dorsalMaskedIdx = b.dMask.toInts();
        dorsalPixels = b.dPix.toBytes();
        dorsalGabor = b.dGabor.toFloats();
        dorsalContour = b.dContour.toBytes();
        dorsalMotion = b.dMotion.toBytes();
    }

    private MaskedBatch(MaskedBatch o, int from, int to) {
        batchSize = to - from;
        kv = o.kv;
        mv = o.mv;
        kd = o.kd;
        md = o.md;
        hasVentral = o.hasVentral;
        hasDorsal = o.hasDorsal;
        int pv = kv * PATCH_PIXELS;
        int pd = kd * 2 * PATCH_PIXELS;
        ventralVisibleIdx = range(o.ventralVisibleIdx, from, to, kv);
        ventralMaskedIdx = range(o.ventralMaskedIdx, from, to, mv);
        ventralPixels = range(o.ventralPixels, from, to, pv);
        ventralGabor = range(o.ventralGabor, from, to, mv * 32);
        ventralContour = range(o.ventralContour, from, to, mv * 256);
        ventralRgb = range(o.ventralRgb, from, to, mv * 768);
        dorsalVisibleIdx = range(o.dorsalVisibleIdx, from, to, kd);
        dorsalMaskedIdx = range(o.dorsalMaskedIdx, from, to, md);
        dorsalPixels = range(o.dorsalPixels, from, to, pd);
        dorsalGabor = range(o.dorsalGabor, from, to, md * 64);
        dorsalContour = range(o.dorsalContour, from, to, md * 512);
        dorsalMotion = range(o.dorsalMotion, from, to, md * 1536);
    }

    // an absent part is an empty array and stays empty
    private static int[] range(int[] a, int from, int to, int per) {
        return a.length == 0 ? a : Arrays.copyOfRange(a, from * per, to * per);
    }

    private static float[] range(float[] a, int from, int to, int per) {
        return a.length == 0 ? a : Arrays.copyOfRange(a, from * per, to * per);
    }

    private static byte[] range(byte[] a, int from, int to, int per) {
        return a.length == 0 ? a : Arrays.copyOfRange(a, from * per, to * per);
    }

    /** Samples {@code [from, to)} of this batch, in order. */
    public MaskedBatch slice(int from, int to) {
        if (from < 0 || to > batchSize || from >= to) {
            throw new IllegalArgumentException(
                    "Slice [" + from + ", " + to + ") of a batch of " + batchSize + " samples.");
        }
        return from == 0 && to == batchSize ? this : new MaskedBatch(this, from, to);
    }

    /**
     * Splits the batch into {@code min(parts, B)} consecutive slices whose sizes differ by at most
     * one, larger ones first (as DJL's {@code Batch.split} with {@code evenSplit = false}).
     */
    public List<MaskedBatch> split(int parts) {
        if (parts <= 0) {
            throw new IllegalArgumentException("Cannot split a batch into " + parts + " parts.");
        }
        int n = Math.min(parts, batchSize);
        List<MaskedBatch> out = new ArrayList<>(n);
        int from = 0;
        for (int i = 0; i < n; i++) {
            int size = batchSize / n + (i < batchSize % n ? 1 : 0);
            out.add(slice(from, from + size));
            from += size;
        }
        return out;
    }

    /** Starts a builder for samples shaped by {@code config} (S, T, mask ratios). */
    public static Builder builder(BimmConfig config) {
        return new Builder(config);
    }

    /** Number of samples B. */
    public int size() {
        return batchSize;
    }

    public boolean hasVentral() {
        return hasVentral;
    }

    public boolean hasDorsal() {
        return hasDorsal;
    }

    /**
     * Creates the device arrays a {@code Bimm} forward needs for {@code stage}, named with the
     * constants of this class: indices int64 flat {@code (B*K)}, pixels uint8 {@code (B, K, ...)},
     * targets {@code (B, M, C)} (uint8 or float32).
     */
    public NDList toNDList(NDManager manager, Stage stage) {
        NDList list = new NDList();
        long b = batchSize;
        if (stage.usesVentral()) {
            require(hasVentral, "ventral", stage);
            list.add(index(manager, ventralVisibleIdx, V_VISIBLE));
            list.add(index(manager, ventralMaskedIdx, V_MASKED));
            list.add(bytes(manager, ventralPixels, new Shape(b, kv, 16, 16, 3), V_PIXELS));
            list.add(named(manager.create(ventralGabor, new Shape(b, mv, 32)), V_GABOR));
            list.add(bytes(manager, ventralContour, new Shape(b, mv, 256), V_CONTOUR));
            list.add(bytes(manager, ventralRgb, new Shape(b, mv, 768), V_RGB));
        }
        if (stage.usesDorsal()) {
            require(hasDorsal, "dorsal", stage);
            list.add(index(manager, dorsalVisibleIdx, D_VISIBLE));
            list.add(index(manager, dorsalMaskedIdx, D_MASKED));
            list.add(bytes(manager, dorsalPixels, new Shape(b, kd, 2, 16, 16, 3), D_PIXELS));
            list.add(named(manager.create(dorsalGabor, new Shape(b, md, 64)), D_GABOR));
            list.add(bytes(manager, dorsalContour, new Shape(b, md, 512), D_CONTOUR));
            list.add(bytes(manager, dorsalMotion, new Shape(b, md, 1536), D_MOTION));
        }
        return list;
    }

    private static void require(boolean present, String part, Stage stage) {
        if (!present) {
            throw new IllegalArgumentException(
                    "Stage "
                            + stage.name().toLowerCase(java.util.Locale.ROOT)
                            + " needs the "
                            + part
                            + " part of every sample, but this batch has none.");
        }
    }

    private static NDArray index(NDManager m, int[] idx, String name) {
        return named(m.create(idx).toType(DataType.INT64, false), name);
    }

    private static NDArray bytes(NDManager m, byte[] data, Shape shape, String name) {
        ByteBuffer buf = ByteBuffer.allocateDirect(data.length);
        buf.put(data).flip();
        return named(m.create(buf, shape, DataType.UINT8), name);
    }

    private static NDArray named(NDArray a, String name) {
        a.setName(name);
        return a;
    }

    /** Appends samples one at a time; {@link #build()} checks the counts. */
    public static final class Builder {
        private final int ni;
        private final int nv;
        private final int kv;
        private final int mv;
        private final int kd;
        private final int md;
        private int ventralCount;
        private int dorsalCount;
        private final Ints vVis = new Ints();
        private final Ints vMask = new Ints();
        private final Bytes vPix = new Bytes();
        private final Floats vGabor = new Floats();
        private final Bytes vContour = new Bytes();
        private final Bytes vRgb = new Bytes();
        private final Ints dVis = new Ints();
        private final Ints dMask = new Ints();
        private final Bytes dPix = new Bytes();
        private final Floats dGabor = new Floats();
        private final Bytes dContour = new Bytes();
        private final Bytes dMotion = new Bytes();

        private Builder(BimmConfig c) {
            ni = c.getImageTokens();
            nv = c.getVideoTokens();
            kv = c.getVentralVisible();
            mv = c.getVentralMasked();
            kd = c.getDorsalVisible();
            md = c.getDorsalMasked();
        }

        /**
         * Appends one sample's ventral part: visible {@code int[Kv]} and masked {@code int[Mv]}
         * ascending token indices; pixels uint8 {@code [Kv][16][16][3]}; Gabor float {@code
         * [Mv][2][2][8]}; contour uint8 {@code [Mv][16][16]}; RGB uint8 {@code [Mv][16][16][3]}.
         */
        public Builder addVentral(
                int[] visibleIdx,
                int[] maskedIdx,
                byte[] pixels,
                float[] gabor,
                byte[] contour,
                byte[] rgb) {
            String s = "ventral sample " + ventralCount + ": ";
            checkIndices(s, visibleIdx, kv, maskedIdx, mv, ni);
            checkLength(s + "pixels", pixels.length, kv * PATCH_PIXELS);
            checkLength(s + "gabor", gabor.length, mv * 32);
            checkLength(s + "contour", contour.length, mv * 256);
            checkLength(s + "rgb", rgb.length, mv * 768);
            vVis.add(visibleIdx);
            vMask.add(maskedIdx);
            vPix.add(pixels);
            vGabor.add(gabor);
            vContour.add(contour);
            vRgb.add(rgb);
            ventralCount++;
            return this;
        }

        /**
         * Appends one sample's dorsal part: visible {@code int[Kd]} and masked {@code int[Md]}
         * ascending token indices; pixels uint8 {@code [Kd][2][16][16][3]}; Gabor float {@code
         * [Md][2][2][2][8]}; contour uint8 {@code [Md][2][16][16]}; motion uint8 {@code
         * [Md][2][16][16][3]}.
         */
        public Builder addDorsal(
                int[] visibleIdx,
                int[] maskedIdx,
                byte[] pixels,
                float[] gabor,
                byte[] contour,
                byte[] motion) {
            String s = "dorsal sample " + dorsalCount + ": ";
            checkIndices(s, visibleIdx, kd, maskedIdx, md, nv);
            checkLength(s + "pixels", pixels.length, kd * 2 * PATCH_PIXELS);
            checkLength(s + "gabor", gabor.length, md * 64);
            checkLength(s + "contour", contour.length, md * 512);
            checkLength(s + "motion", motion.length, md * 1536);
            dVis.add(visibleIdx);
            dMask.add(maskedIdx);
            dPix.add(pixels);
            dGabor.add(gabor);
            dContour.add(contour);
            dMotion.add(motion);
            dorsalCount++;
            return this;
        }

        /** Number of complete samples appended so far. */
        public int size() {
            return Math.max(ventralCount, dorsalCount);
        }

        /** Builds the batch; ventral and dorsal parts, when both present, must pair up. */
        public MaskedBatch build() {
            if (ventralCount == 0 && dorsalCount == 0) {
                throw new IllegalStateException("A MaskedBatch needs at least one sample.");
            }
            if (ventralCount > 0 && dorsalCount > 0 && ventralCount != dorsalCount) {
                throw new IllegalStateException(
                        "Ventral and dorsal parts do not pair up: "
                                + ventralCount
                                + " ventral vs "
                                + dorsalCount
                                + " dorsal samples.");
            }
            return new MaskedBatch(this);
        }

        private static void checkLength(String what, int actual, int expected) {
            if (actual != expected) {
                throw new IllegalArgumentException(
                        what + " has " + actual + " values, expected " + expected + ".");
            }
        }

        private static void checkIndices(
                String s, int[] visible, int k, int[] masked, int m, int n) {
            checkLength(s + "visible index", visible.length, k);
            checkLength(s + "masked index", masked.length, m);
            boolean[] seen = new boolean[n];
            for (int[] idx : new int[][] {visible, masked}) {
                for (int i = 0; i < idx.length; i++) {
                    int t = idx[i];
                    if (t < 0 || t >= n) {
                        throw new IllegalArgumentException(
                                s + "token index " + t + " outside [0, " + n + ").");
                    }
                    if (i > 0 && idx[i - 1] >= t) {
                        throw new IllegalArgumentException(
                                s + "indices must be strictly ascending: " + Arrays.toString(idx));
                    }
                    if (seen[t]) {
                        throw new IllegalArgumentException(
                                s + "token " + t + " is both visible and masked.");
                    }
                    seen[t] = true;
                }
            }
        }
    }

    private static final class Ints {
        private int[] a = new int[64];
        private int n;

        void add(int[] v) {
            while (n + v.length > a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toInts() {
            return Arrays.copyOf(a, n);
        }
    }

    private static final class Floats {
        private float[] a = new float[64];
        private int n;

        void add(float[] v) {
            while (n + v.length > a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        float[] toFloats() {
            return Arrays.copyOf(a, n);
        }
    }

    private static final class Bytes {
        private byte[] a = new byte[64];
        private int n;

        void add(byte[] v) {
            while (n + v.length > a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        byte[] toBytes() {
            return Arrays.copyOf(a, n);
        }
    }
}
