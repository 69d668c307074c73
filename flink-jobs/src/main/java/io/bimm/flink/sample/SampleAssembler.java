package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.masking.Mask;
import io.bimm.flink.targets.ClipTargets;
import io.bimm.flink.targets.GaborBank;

/**
 * Cuts a decoded clip and its full-frame targets into a {@link TrainingSample}: visible tokens'
 * pixels and masked tokens' targets, in the layout documented there (patch p = 16, cell 8).
 */
public final class SampleAssembler {
    /** Patch size {@code p}. */
    public static final int PATCH = 16;

    private static final int F = GaborBank.FILTERS;

    private SampleAssembler() {}

    /**
     * Builds the sample.
     *
     * @param ventralFrame which of the T sampled frames is the ventral image
     */
    public static TrainingSample assemble(
            String clipId,
            int draw,
            DecodedClip clip,
            ClipTargets targets,
            int ventralFrame,
            Mask ventral,
            Mask dorsal) {
        int s = clip.size();
        int g = s / PATCH;
        int gg = g * g;
        int kv = ventral.visible().length;
        int mv = ventral.masked().length;
        int kd = dorsal.visible().length;
        int md = dorsal.masked().length;
        int pp = PATCH * PATCH;

        byte[] vPixels = new byte[kv * pp * 3];
        for (int k = 0; k < kv; k++) {
            int n = ventral.visible()[k];
            copyPatch(clip.x()[ventralFrame], s, n / g, n % g, 3, vPixels, k * pp * 3);
        }
        float[] vGabor = new float[mv * 4 * F];
        byte[] vContour = new byte[mv * pp];
        byte[] vRgb = new byte[mv * pp * 3];
        for (int k = 0; k < mv; k++) {
            int n = ventral.masked()[k];
            int h = n / g;
            int w = n % g;
            copyCells(targets, ventralFrame, h, w, vGabor, k * 4 * F);
            copyPatch(targets.contour(), ventralFrame * s * s, s, h, w, 1, vContour, k * pp);
            copyPatch(clip.x()[ventralFrame], s, h, w, 3, vRgb, k * pp * 3);
        }

        byte[] dPixels = new byte[kd * 2 * pp * 3];
        for (int k = 0; k < kd; k++) {
            int n = dorsal.visible()[k];
            int t = n / gg;
            int h = (n % gg) / g;
            int w = n % g;
            for (int f = 0; f < 2; f++) {
                copyPatch(clip.x()[2 * t + f], s, h, w, 3, dPixels, (k * 2 + f) * pp * 3);
            }
        }
        float[] dGabor = new float[md * 2 * 4 * F];
        byte[] dContour = new byte[md * 2 * pp];
        byte[] dMotion = new byte[md * 2 * pp * 3];
        for (int k = 0; k < md; k++) {
            int n = dorsal.masked()[k];
            int t = n / gg;
            int h = (n % gg) / g;
            int w = n % g;
            for (int f = 0; f < 2; f++) {
                int frame = 2 * t + f;
                int slot = k * 2 + f;
                copyCells(targets, frame, h, w, dGabor, slot * 4 * F);
                copyPatch(targets.contour(), frame * s * s, s, h, w, 1, dContour, slot * pp);
                copyPatch(targets.motion(), frame * s * s * 3, s, h, w, 3, dMotion, slot * pp * 3);
            }
        }
        return new TrainingSample(
                clipId,
                draw,
                ventral.visible(),
                ventral.masked(),
                vPixels,
                vGabor,
                vContour,
                vRgb,
                dorsal.visible(),
                dorsal.masked(),
                dPixels,
                dGabor,
                dContour,
                dMotion);
    }

    private static void copyPatch(byte[] img, int s, int h, int w, int ch, byte[] dst, int off) {
        copyPatch(img, 0, s, h, w, ch, dst, off);
    }

    /** Copies the 16x16 patch (h, w) of an (S, S, ch) image starting at {@code base}. */
    private static void copyPatch(
            byte[] img, int base, int s, int h, int w, int ch, byte[] dst, int off) {
        int row = PATCH * ch;
        for (int y = 0; y < PATCH; y++) {
            int src = base + ((h * PATCH + y) * s + w * PATCH) * ch;
            System.arraycopy(img, src, dst, off + y * row, row);
        }
    }

    /** Copies the 2x2 Gabor cells of patch (h, w) of one frame: (cellY, cellX, filter). */
    private static void copyCells(ClipTargets t, int frame, int h, int w, float[] dst, int off) {
        int cells = t.size() / 8;
        int base = frame * cells * cells * F;
        for (int cy = 0; cy < 2; cy++) {
            int src = base + ((2 * h + cy) * cells + 2 * w) * F;
            System.arraycopy(t.gabor(), src, dst, off + cy * 2 * F, 2 * F);
        }
    }
}
